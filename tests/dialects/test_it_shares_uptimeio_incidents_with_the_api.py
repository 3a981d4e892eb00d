"""An incident made through UptimeIO's dialect is the same object in /api/incidents, and the
other way round; a move made in one shows in the other."""

from __future__ import annotations

from uptimeiokit import BASE, io


async def test_an_incident_is_one_object_in_both_apis(api):
    status, _, made = await io(api, "POST", BASE, json={"title": "DNS flaps", "severity": "minor",
                                                        "type": "dns_error"})
    assert status == 201, made
    incident = made["data"]
    status, _, upstat = await api.request("GET", f"/api/incidents/{incident['id']}")
    assert status == 200, upstat
    for name in ("id", "status", "severity", "type", "source", "title", "error_message", "affected_monitor_ids",
                 "acknowledged_by", "metadata"):
        assert upstat[name] == incident[name], name
    for name in ("started_at", "created_at", "updated_at"):
        assert upstat[name] == incident[name] // 1000, name  # seconds there, milliseconds here

    status, _, acked = await api.request("POST", f"/api/incidents/{incident['id']}/acknowledge", json={})
    assert status == 200, acked
    status, _, seen = await io(api, "GET", f"{BASE}/{incident['id']}")
    assert seen["data"]["status"] == "acknowledged"

    status, _, other = await api.request("POST", "/api/incidents", json={"title": "Made in /api"})
    assert status == 201, other
    status, _, listed = await io(api, "GET", BASE)
    assert [item["id"] for item in listed["data"]] == [other["id"], incident["id"]]
    status, _, resolved = await io(api, "PUT", f"{BASE}/{other['id']}/status", json={"status": "resolved"})
    assert status == 200, resolved
    _, _, upstat = await api.request("GET", f"/api/incidents/{other['id']}")
    assert upstat["status"] == "resolved" and upstat["resolved_at"] == resolved["data"]["resolved_at"] // 1000
