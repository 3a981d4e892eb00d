"""Better Stack's v3 incidents (/api/v3/incidents): listed newest first 10 a page (at
most 50) with resolved/acknowledged/monitor_id filters, read, acknowledged and resolved
through upstatd's incident commands: the same incident in /api/incidents."""

from __future__ import annotations

import re

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ATTRIBUTES = {"name", "cause", "started_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
              "status", "metadata", "regions", "call", "sms", "email", "push"}


async def test_an_incident_is_listed_read_acknowledged_and_resolved(api):
    _, _, monitor = await api.request("POST", "/api/v2/monitors", json={
        "monitor_type": "status", "url": "http://127.0.0.1:9/", "paused": True})
    monitor_id = monitor["data"]["id"]
    made = []
    for n in range(12):
        status, _, incident = await api.request("POST", "/api/incidents", json={
            "title": f"Outage {n}", "error_message": "connection refused",
            "affected_monitor_ids": [monitor_id] if n == 11 else []})
        assert status == 201, incident
        made.append(incident["id"])

    status, _, listed = await api.request("GET", "/api/v3/incidents")
    assert status == 200, listed
    assert [item["id"] for item in listed["data"]] == made[::-1][:10]  # newest first, 10 a page
    assert listed["pagination"]["next"] == f"{api.url}/api/v3/incidents?page=2&per_page=10"
    _, _, listed = await api.request("GET", "/api/v3/incidents?per_page=100")
    assert len(listed["data"]) == 12 and listed["pagination"]["first"].endswith("per_page=50")
    _, _, listed = await api.request("GET", f"/api/v3/incidents?monitor_id={monitor_id}")
    (item,) = listed["data"]
    assert item["id"] == made[11] and item["type"] == "incident" and set(item["attributes"]) == ATTRIBUTES
    assert item["relationships"] == {"monitor": {"data": {"id": monitor_id, "type": "monitor"}}}
    assert (item["attributes"]["name"], item["attributes"]["cause"], item["attributes"]["status"]) == (
        "Outage 11", "connection refused", "Started")
    assert ISO.match(item["attributes"]["started_at"])

    status, _, acked = await api.request("POST", f"/api/v3/incidents/{made[11]}/acknowledge",
                                         json={"acknowledged_by": "ana@example.com"})
    assert status == 200, acked
    assert (acked["data"]["attributes"]["status"], acked["data"]["attributes"]["acknowledged_by"]) == (
        "Acknowledged", "ana@example.com")
    _, _, ours = await api.request("GET", f"/api/incidents/{made[11]}")
    assert (ours["status"], ours["acknowledged_by"]) == ("acknowledged", "ana@example.com")
    _, _, listed = await api.request("GET", "/api/v3/incidents?acknowledged=true")
    assert [item["id"] for item in listed["data"]] == [made[11]]

    status, _, resolved = await api.request("POST", f"/api/v3/incidents/{made[11]}/resolve", json={})
    assert status == 200 and resolved["data"]["attributes"]["status"] == "Resolved", resolved
    assert ISO.match(resolved["data"]["attributes"]["resolved_at"])
    _, _, listed = await api.request("GET", "/api/v3/incidents?resolved=false&per_page=50")
    assert made[11] not in [item["id"] for item in listed["data"]] and len(listed["data"]) == 11
    _, _, read = await api.request("GET", f"/api/v3/incidents/{made[11]}")
    assert read["data"]["attributes"]["status"] == "Resolved"

    status, _, answer = await api.request("POST", f"/api/v3/incidents/{made[11]}/acknowledge", json={})
    assert status in (409, 422) and isinstance(answer["errors"], (str, dict)), answer  # resolved: refused
    status, _, answer = await api.request("GET", "/api/v3/incidents/inc_missing")
    assert status == 404 and isinstance(answer["errors"], str), answer
    reader = await api.make_token("incidents:read")
    status, _, answer = await api.request("POST", f"/api/v3/incidents/{made[0]}/acknowledge", token=reader, json={})
    assert status == 403 and "incidents:update" in answer["errors"], answer


async def test_an_incident_is_created_commented_reopened_and_escalation_refused_without_a_policy(api):
    status, _, made = await api.request("POST", "/api/v3/incidents", json={
        "requester_email": "ops@example.com", "summary": "Checkout fails", "description": "500 on /pay",
        "call": True, "sms": False, "email": True, "push": True, "team_wait": 60})
    assert status == 201, made
    incident_id = made["data"]["id"]
    assert (made["data"]["attributes"]["name"], made["data"]["attributes"]["cause"],
            made["data"]["attributes"]["status"]) == ("Checkout fails", "500 on /pay", "Started")
    _, _, ours = await api.request("GET", f"/api/incidents/{incident_id}")
    assert (ours["title"], ours["source"]) == ("Checkout fails", "manual")

    status, _, comment = await api.request("POST", f"/api/v3/incidents/{incident_id}/comments",
                                           json={"content": "rolling back"})
    assert status == 201 and comment["data"]["type"] == "incident_comment", comment
    assert comment["data"]["attributes"]["content"] == "rolling back"
    _, _, timeline = await api.request("GET", f"/api/incidents/{incident_id}/updates")
    assert "rolling back" in [entry["message"] for entry in timeline["data"]]

    await api.request("POST", f"/api/v3/incidents/{incident_id}/resolve", json={})
    status, _, reopened = await api.request("POST", f"/api/v3/incidents/{incident_id}/reopen", json={})
    assert status == 200 and reopened["data"]["attributes"]["status"] == "Started", reopened
    status, _, answer = await api.request("POST", f"/api/v3/incidents/{incident_id}/escalate", json={})
    assert status == 409 and isinstance(answer["errors"], str), answer  # no policy: nothing to escalate

    status, _, answer = await api.request("POST", "/api/v3/incidents", json={"requester_email": "ops@example.com"})
    assert (status, list(answer["errors"])) == (422, ["summary"]), answer
    status, _, answer = await api.request("POST", f"/api/v3/incidents/{incident_id}/comments", json={})
    assert (status, list(answer["errors"])) == (422, ["content"]), answer
