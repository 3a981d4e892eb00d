"""Better Stack's monitor groups and heartbeat groups (/api/v2/monitor-groups,
/api/v2/heartbeat-groups): create, list, get, rename, pause through `paused`, delete;
members join with monitor_group_id / heartbeat_group_id and are listed under the group;
the same groups as /api/monitor-groups and /api/heartbeat-groups."""

from __future__ import annotations

import re

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_a_monitor_group_gathers_monitors_and_pauses_them(api):
    status, _, made = await api.request("POST", "/api/v2/monitor-groups", json={"name": "Backend", "sort_index": 2})
    assert status == 201, made
    group = made["data"]
    assert group["type"] == "monitor_group" and set(group["attributes"]) == {
        "name", "sort_index", "paused", "created_at", "updated_at"}
    assert group["attributes"]["name"] == "Backend" and ISO.match(group["attributes"]["created_at"])
    _, _, ours = await api.request("GET", f"/api/monitor-groups/{group['id']}")
    assert ours["name"] == "Backend" and ours["kind"] == "monitor"

    ids = []
    for n in range(3):
        status, _, monitor = await api.request("POST", "/api/v2/monitors", json={
            "monitor_type": "status", "url": f"http://127.0.0.1:9/{n}", "monitor_group_id": group["id"]})
        assert status == 201 and monitor["data"]["attributes"]["monitor_group_id"] == group["id"], monitor
        ids.append(monitor["data"]["id"])
    _, _, members = await api.request("GET", f"/api/v2/monitor-groups/{group['id']}/monitors?per_page=2")
    assert [item["id"] for item in members["data"]] == ids[:2] and members["pagination"]["next"]

    status, _, changed = await api.request("PATCH", f"/api/v2/monitor-groups/{group['id']}",
                                           json={"name": "Back end", "paused": True})
    assert status == 200 and changed["data"]["attributes"] == {
        **changed["data"]["attributes"], "name": "Back end", "paused": True}, changed
    _, _, monitor = await api.request("GET", f"/api/v2/monitors/{ids[0]}")
    assert monitor["data"]["attributes"]["paused"] is True

    _, _, listed = await api.request("GET", "/api/v2/monitor-groups")
    assert [item["id"] for item in listed["data"]] == [group["id"]]
    status, _, answer = await api.request("DELETE", f"/api/v2/monitor-groups/{group['id']}")
    assert status == 409 and isinstance(answer["errors"], str), answer  # it has members
    for monitor_id in ids:
        await api.request("DELETE", f"/api/v2/monitors/{monitor_id}")
    status, _, _ = await api.request("DELETE", f"/api/v2/monitor-groups/{group['id']}")
    assert status == 204
    status, _, answer = await api.request("GET", f"/api/v2/monitor-groups/{group['id']}")
    assert status == 404 and isinstance(answer["errors"], str)


async def test_a_heartbeat_group_and_its_heartbeats(api):
    status, _, made = await api.request("POST", "/api/v2/heartbeat-groups", json={"name": "Backups"})
    assert status == 201, made
    group_id = made["data"]["id"]
    assert made["data"]["type"] == "heartbeat_group"
    status, _, beat = await api.request("POST", "/api/v2/heartbeats", json={
        "name": "nightly", "period": 86400, "grace": 600, "heartbeat_group_id": group_id})
    assert status == 201 and beat["data"]["attributes"]["heartbeat_group_id"] == group_id, beat
    status, _, _ = await api.request("POST", "/api/v2/heartbeats", json={"name": "alone", "period": 60})
    assert status == 201
    _, _, members = await api.request("GET", f"/api/v2/heartbeat-groups/{group_id}/heartbeats")
    assert [item["id"] for item in members["data"]] == [beat["data"]["id"]]
    _, _, changed = await api.request("PATCH", f"/api/v2/heartbeat-groups/{group_id}", json={"paused": True})
    assert changed["data"]["attributes"]["paused"] is True
    _, _, beat = await api.request("GET", f"/api/v2/heartbeats/{beat['data']['id']}")
    assert beat["data"]["attributes"]["status"] == "paused"
    status, _, answer = await api.request("POST", "/api/v2/heartbeat-groups", json={})
    assert (status, list(answer["errors"])) == (422, ["name"]), answer
    # a group of the other kind is not one of these
    status, _, answer = await api.request("GET", f"/api/v2/monitor-groups/{group_id}")
    assert status == 404, answer
