"""Groups from the config file: `group: web` on monitors makes one monitor group
(and on heartbeats a heartbeat group of its own), read-only over the API but for
pause and resume; only the file's monitors are in it; a reload that moves
monitors moves them, keeps the group's id, and deletes a group no longer named."""

from __future__ import annotations

from loopback import closed_port
from upstatd.clock import FakeClock

NOW = 1_800_000_000
PORT = closed_port()


def config(shop_group: str, api_group: str) -> str:
    return f"""
        monitors:
          - {{key: shop, type: tcp, url: "tcp://127.0.0.1:{PORT}", group: {shop_group}}}
          - {{key: api, type: tcp, url: "tcp://127.0.0.1:{PORT}", group: {api_group}}}
        heartbeats:
          - {{key: backup, period: 1d, group: web}}
        """


async def by_key(api, path: str) -> dict[str, dict]:
    _, _, listed = await api.request("GET", path)
    return {item["key"]: item for item in listed["data"]}


async def test_it_makes_groups_from_the_file_and_keeps_them_read_only(start_api):
    api = await start_api(config("web", "web"), clock=FakeClock(wall=NOW))
    (web,) = (await by_key(api, "/api/monitor-groups")).values()
    assert {key: web[key] for key in ("kind", "key", "name", "managed_by", "member_count")} == {
        "kind": "monitor", "key": "web", "name": "web", "managed_by": "config", "member_count": 2}
    (beats,) = (await by_key(api, "/api/heartbeat-groups")).values()
    assert (beats["key"], beats["member_count"]) == ("web", 1) and beats["id"] != web["id"]
    monitors = await by_key(api, f"/api/monitors?group_id={web['id']}")
    assert set(monitors) == {"shop", "api"} and {item["group_id"] for item in monitors.values()} == {web["id"]}

    path = f"/api/monitor-groups/{web['id']}"
    for method, body in (("PATCH", {"name": "Other"}), ("DELETE", None)):
        status, _, answer = await api.request(method, path, json=body)
        assert (status, answer["error"]["code"]) == (409, "managed_by_config"), answer
        assert str(api.config_path) in answer["error"]["message"] and "group: web" in answer["error"]["message"]
    status, _, answer = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{PORT}", "group_id": web["id"]})
    assert (status, answer["error"]["param"]) == (422, "group_id"), answer
    assert "config file" in answer["error"]["message"]

    status, _, paused = await api.request("POST", f"{path}/pause")
    assert (status, paused["status"], paused["paused_count"], paused["current_state"]) == (200, "paused", 2, None)


async def test_a_reload_moves_members_and_drops_groups_no_longer_named(start_api):
    api = await start_api(config("web", "shop-only"), clock=FakeClock(wall=NOW))
    groups = await by_key(api, "/api/monitor-groups")
    assert {key: item["member_count"] for key, item in groups.items()} == {"web": 1, "shop-only": 1}

    api.config_path.write_text(api.config_path.read_text().replace("group: shop-only", "group: web"))
    assert await api.daemon.reload()
    after = await by_key(api, "/api/monitor-groups")
    assert list(after) == ["web"] and after["web"]["id"] == groups["web"]["id"]
    assert after["web"]["member_count"] == 2
    status, _, _ = await api.request("GET", f"/api/monitor-groups/{groups['shop-only']['id']}")
    assert status == 404
    monitors = await by_key(api, "/api/monitors")
    assert monitors["api"]["group_id"] == groups["web"]["id"]
    # the running monitor's snapshot (its events' data.object) knows the new group too
    running = api.daemon.monitors.monitors["api"]
    assert api.daemon.monitors.snapshot(running).group_id == groups["web"]["id"]
