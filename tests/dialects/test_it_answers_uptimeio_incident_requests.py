"""UptimeIO's documented workflows replayed against the daemon (seed: uptimeio-incidents-api.txt):
manual incident reporting, quick response (list open, acknowledge, add an update, change the
status), investigation (get, affected checks, timeline) and closure; every answer in the
`{success, data[, pagination]}` envelope, field for field."""

from __future__ import annotations

from uptimeiokit import BASE, INCIDENT_FIELDS, PAGINATION_FIELDS, io, subjects


async def test_it_replays_the_documented_workflows(api):
    monitor_id, heartbeat_id, server = await subjects(api)
    try:
        # Manual incident reporting (POST /api/incidents, the seed's body with upstatd's ids)
        status, headers, made = await io(api, "POST", BASE, json={
            "title": "Payment gateway timeout", "severity": "critical", "type": "timeout",
            "error_message": "Third-party payment API not responding",
            "affected_monitor_ids": [monitor_id, heartbeat_id]})
        assert status == 201, made
        assert set(made) == {"success", "data"} and made["success"] is True
        incident = made["data"]
        assert set(incident) == INCIDENT_FIELDS
        assert incident["id"].startswith("inc_")
        assert (incident["title"], incident["severity"], incident["type"], incident["source"], incident["status"]) \
            == ("Payment gateway timeout", "critical", "timeout", "manual", "open")
        assert incident["error_message"] == "Third-party payment API not responding"
        assert incident["affected_monitor_ids"] == [monitor_id, heartbeat_id]
        assert abs(incident["created_at"] - api.clock.time() * 1000) < 60_000  # Unix milliseconds
        assert incident["started_at"] == incident["created_at"] == incident["updated_at"]
        assert incident["acknowledged_at"] is None and incident["resolved_at"] is None
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers)
        incident_id = incident["id"]

        # Quick incident response: 1. list active incidents
        status, _, listed = await io(api, "GET", f"{BASE}?status=open")
        assert status == 200, listed
        assert set(listed) == {"success", "data", "pagination"} and listed["success"] is True
        assert [item["id"] for item in listed["data"]] == [incident_id]
        assert listed["data"][0] == incident
        assert listed["pagination"] == {"total": 1, "page": 1, "pageSize": 20, "totalPages": 1, "hasNext": False,
                                        "hasPrevious": False}
        assert set(listed["pagination"]) == PAGINATION_FIELDS
        # 2. acknowledge
        status, _, acked = await io(api, "POST", f"{BASE}/{incident_id}/acknowledge")
        assert status == 200, acked
        assert acked["data"]["status"] == "acknowledged" and acked["data"]["acknowledged_at"] is not None
        _, _, tokens = await api.request("GET", "/api/tokens")
        assert acked["data"]["acknowledged_by"] in {token["name"] for token in tokens["data"]}  # the key's name
        # 3. an investigation update
        status, _, update = await io(api, "POST", f"{BASE}/{incident_id}/updates",
                                     json={"message": "Investigating the provider's status page"})
        assert status == 201, update
        assert set(update["data"]) == {"id", "incident_id", "type", "status", "message", "author", "created_at"}
        assert (update["data"]["type"], update["data"]["incident_id"], update["data"]["status"]) == \
            ("comment", incident_id, "acknowledged")
        # the filters of the list
        for query, expected in (("severity=critical", [incident_id]), ("severity=minor", []),
                                (f"check_id={monitor_id}", [incident_id]), (f"check_id={heartbeat_id}", [incident_id]),
                                ("check_id=mon_nothing", []), ("status=open", [])):
            status, _, found = await io(api, "GET", f"{BASE}?{query}")
            assert status == 200, found
            assert [item["id"] for item in found["data"]] == expected, query

        # Incident investigation
        status, _, got = await io(api, "GET", f"{BASE}/{incident_id}")
        assert status == 200 and got["success"] is True and set(got["data"]) == INCIDENT_FIELDS
        status, _, affected = await io(api, "GET", f"{BASE}/{incident_id}/affected-checks")
        assert status == 200, affected
        assert [(item["check_id"], item["kind"], item["name"]) for item in affected["data"]] == [
            (monitor_id, "monitor", "Payments"), (heartbeat_id, "heartbeat", "Nightly")]
        assert set(affected["data"][0]) == {"check_id", "kind", "name", "current_state", "failed_checks"}
        status, _, timeline = await io(api, "GET", f"{BASE}/{incident_id}/updates")
        assert status == 200, timeline
        assert [entry["type"] for entry in timeline["data"]] == ["comment", "acknowledged", "created"]
        assert timeline["pagination"]["total"] == 3

        # Update incident fields (PUT /api/incidents/{id})
        status, _, changed = await io(api, "PUT", f"{BASE}/{incident_id}",
                                      json={"severity": "major", "message": "Only card payments fail"})
        assert status == 200, changed
        assert (changed["data"]["severity"], changed["data"]["error_message"]) == ("major", "Only card payments fail")

        # Resolution & closure
        status, _, final = await io(api, "POST", f"{BASE}/{incident_id}/updates",
                                    json={"message": "Issue resolved, all services restored"})
        assert status == 201, final
        status, _, resolved = await io(api, "PUT", f"{BASE}/{incident_id}/status", json={"status": "resolved"})
        assert status == 200, resolved
        assert resolved["data"]["status"] == "resolved" and resolved["data"]["resolved_at"] is not None
        assert resolved["data"]["duration_ms"] >= 0
        status, _, closed = await io(api, "PUT", f"{BASE}/{incident_id}/status", json={"status": "closed"})
        assert status == 200, closed
        assert closed["data"]["status"] == "closed" and closed["data"]["closed_at"] is not None
    finally:
        server.close()
