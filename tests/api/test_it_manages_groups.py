"""Groups over the API: a monitor group made, joined by monitors with group_id,
listed and filtered, renamed, refused deletion while it has members (409 naming
them), deleted once empty; each change a group.* event. Heartbeat groups live
at their own path, and a group of the other kind is neither found nor joinable."""

from __future__ import annotations

from loopback import closed_port
from upstatd.clock import FakeClock

NOW = 1_800_000_000
PORT = closed_port()


def monitor(**fields) -> dict:
    return {"type": "tcp", "url": f"tcp://127.0.0.1:{PORT}", **fields}


async def test_it_creates_fills_lists_updates_and_deletes_a_monitor_group(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    status, _, group = await api.request("POST", "/api/monitor-groups", json={"name": "Web", "metadata": {"team": "a"}})
    assert status == 201, group
    assert group["id"].startswith("grp_")
    assert {key: group[key] for key in ("object", "kind", "key", "name", "managed_by", "status", "current_state",
                                        "member_count", "paused_count", "states", "metadata", "created_at")} == {
        "object": "group", "kind": "monitor", "key": None, "name": "Web", "managed_by": "api", "status": "active",
        "current_state": None, "member_count": 0, "paused_count": 0, "states": {}, "metadata": {"team": "a"},
        "created_at": NOW}

    _, _, first = await api.request("POST", "/api/monitors", json=monitor(group_id=group["id"]))
    _, _, second = await api.request("POST", "/api/monitors", json=monitor())
    _, _, third = await api.request("POST", "/api/monitors", json=monitor())
    assert (first["group_id"], second["group_id"]) == (group["id"], None)
    status, _, moved = await api.request("PATCH", f"/api/monitors/{second['id']}", json={"group_id": group["id"]})
    assert (status, moved["group_id"]) == (200, group["id"])

    _, _, members = await api.request("GET", f"/api/monitors?group_id={group['id']}")
    assert [item["id"] for item in members["data"]] == [second["id"], first["id"]]
    _, _, fetched = await api.request("GET", f"/api/monitor-groups/{group['id']}")
    assert (fetched["member_count"], fetched["current_state"], fetched["states"]) == (2, "pending", {"pending": 2})
    _, _, listed = await api.request("GET", "/api/monitor-groups")
    assert [item["id"] for item in listed["data"]] == [group["id"]]

    status, _, renamed = await api.request("PATCH", f"/api/monitor-groups/{group['id']}",
                                           json={"name": "Web servers", "metadata": {"team": ""}})
    assert (status, renamed["name"], renamed["metadata"]) == (200, "Web servers", {})

    status, _, refused = await api.request("DELETE", f"/api/monitor-groups/{group['id']}")
    assert status == 409, refused
    assert refused["error"]["code"] == "group_not_empty"
    assert first["id"] in refused["error"]["message"] and second["id"] in refused["error"]["message"]
    assert third["id"] not in refused["error"]["message"]

    for member in (first, second):
        status, _, out = await api.request("PATCH", f"/api/monitors/{member['id']}", json={"group_id": None})
        assert (status, out["group_id"]) == (200, None)
    status, _, _ = await api.request("DELETE", f"/api/monitor-groups/{group['id']}")
    assert status == 204
    status, _, _ = await api.request("GET", f"/api/monitor-groups/{group['id']}")
    assert status == 404

    _, _, events = await api.request("GET", "/api/events?limit=100")
    group_events = [(event["type"], event["data"]["object"]["name"]) for event in events["data"]
                    if event["type"].startswith("group.")]
    assert group_events == [("group.deleted", "Web servers"), ("group.updated", "Web servers"),
                            ("group.created", "Web")]


async def test_it_keeps_kinds_apart(api):
    _, _, beats = await api.request("POST", "/api/heartbeat-groups", json={"name": "Backups"})
    assert (beats["kind"], beats["current_state"]) == ("heartbeat", None)
    status, _, answer = await api.request("GET", f"/api/monitor-groups/{beats['id']}")
    assert (status, answer["error"]["param"]) == (404, "id")
    status, _, answer = await api.request("POST", "/api/monitors", json=monitor(group_id=beats["id"]))
    assert status == 422, answer
    assert answer["error"]["param"] == "group_id" and "no monitor group" in answer["error"]["message"]

    status, _, beat = await api.request("POST", "/api/heartbeats", json={"name": "nightly", "period_seconds": 3600,
                                                                          "group_id": beats["id"]})
    assert (status, beat["group_id"]) == (201, beats["id"])
    _, _, listed = await api.request("GET", f"/api/heartbeats?group_id={beats['id']}")
    assert [item["id"] for item in listed["data"]] == [beat["id"]]
    _, _, fetched = await api.request("GET", f"/api/heartbeat-groups/{beats['id']}")
    assert (fetched["member_count"], fetched["current_state"]) == (1, "new")
    _, _, monitor_groups = await api.request("GET", "/api/monitor-groups")
    assert monitor_groups["data"] == []


async def test_it_names_the_param_of_a_bad_group(api):
    for body, param in (({}, "name"), ({"name": " "}, "name"), ({"name": "x" * 201}, "name"),
                        ({"name": "a", "kind": "monitor"}, "kind")):
        status, _, answer = await api.request("POST", "/api/monitor-groups", json=body)
        assert status in (400, 422) and answer["error"]["param"] == param, (body, answer)
