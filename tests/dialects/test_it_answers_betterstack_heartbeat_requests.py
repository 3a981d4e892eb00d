"""Better Stack's documented heartbeat requests (POST/GET/PATCH/DELETE /api/v2/heartbeats),
replayed against the running daemon: the documented attributes field for field, `url`
the ping URL that takes the job's pings, the same heartbeat in /api/heartbeats."""

from __future__ import annotations

import re

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ATTRIBUTES = {"url", "name", "period", "grace", "call", "sms", "email", "push", "critical_alert", "team_wait",
              "heartbeat_group_id", "policy_id", "sort_index", "paused_at", "maintenance_from", "maintenance_to",
              "maintenance_timezone", "maintenance_days", "created_at", "updated_at", "status"}


async def test_a_heartbeat_is_created_pinged_updated_and_deleted(api):
    sent = {"name": "Testing heartbeat", "period": 10800, "grace": 300, "call": False, "sms": False,
            "email": True, "push": True, "team_wait": 180}
    status, _, made = await api.request("POST", "/api/v2/heartbeats", json=sent)
    assert status == 201, made
    data = made["data"]
    assert set(data) == {"id", "type", "attributes"} and data["type"] == "heartbeat"
    attributes = data["attributes"]
    assert set(attributes) == ATTRIBUTES
    assert (attributes["name"], attributes["period"], attributes["grace"], attributes["status"],
            attributes["paused_at"]) == ("Testing heartbeat", 10800, 300, "pending", None)
    assert ISO.match(attributes["created_at"]) and ISO.match(attributes["updated_at"])
    heartbeat_id = data["id"]

    status, _, ours = await api.request("GET", f"/api/heartbeats/{heartbeat_id}")
    assert (ours["name"], ours["period_seconds"], ours["grace_seconds"]) == ("Testing heartbeat", 10800, 300)
    assert attributes["url"] == ours["ping_url"]

    async with api.session.get(attributes["url"]) as pinged:  # the job's ping, as a crontab sends it
        assert pinged.status == 200
    _, _, read = await api.request("GET", f"/api/v2/heartbeats/{heartbeat_id}")
    assert read["data"]["attributes"]["status"] == "up"

    status, _, changed = await api.request("PATCH", f"/api/v2/heartbeats/{heartbeat_id}",
                                           json={"period": 3600, "grace": 60, "paused": True})
    assert status == 200, changed
    attributes = changed["data"]["attributes"]
    assert (attributes["period"], attributes["grace"], attributes["status"]) == (3600, 60, "paused")
    assert ISO.match(attributes["paused_at"])
    _, _, changed = await api.request("PATCH", f"/api/v2/heartbeats/{heartbeat_id}", json={"paused": False})
    assert changed["data"]["attributes"]["status"] != "paused"

    _, _, listed = await api.request("GET", "/api/v2/heartbeats")
    assert [item["id"] for item in listed["data"]] == [heartbeat_id]
    assert listed["pagination"] == {"first": f"{api.url}/api/v2/heartbeats?page=1&per_page=50",
                                    "last": f"{api.url}/api/v2/heartbeats?page=1&per_page=50",
                                    "prev": None, "next": None}

    status, _, gone = await api.request("DELETE", f"/api/v2/heartbeats/{heartbeat_id}")
    assert (status, gone) == (204, None)
    status, _, answer = await api.request("GET", f"/api/v2/heartbeats/{heartbeat_id}")
    assert status == 404 and heartbeat_id in answer["errors"]


async def test_a_heartbeat_needs_a_period_and_names_better_stacks_fields(api):
    status, _, answer = await api.request("POST", "/api/v2/heartbeats", json={"name": "backup"})
    assert (status, list(answer["errors"])) == (422, ["period"]), answer
    status, _, answer = await api.request("POST", "/api/v2/heartbeats", json={"name": "backup", "period": 0})
    assert (status, list(answer["errors"])) == (422, ["period"]), answer
    status, _, answer = await api.request("POST", "/api/v2/heartbeats",
                                          json={"name": "backup", "period": 60, "grace": -1})
    assert (status, list(answer["errors"])) == (422, ["grace"]), answer
