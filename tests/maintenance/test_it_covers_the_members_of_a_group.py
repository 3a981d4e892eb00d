"""A window on a group (`group_ids`) through the real daemon (FakeClock): it
covers the group's members of the moment. A member shows `maintenance` while
the window is on, a monitor outside the group does not; one that joins the
group during the window enters maintenance, one that leaves goes back to the
state it went in with; at the end the members leave. The same from the config
file, where `group_ids` names the file's `group:`, and through a reload that
moves a monitor out of the group. A group a window names is not deleted."""

from __future__ import annotations

import textwrap

from daemonkit import events, move_to, probe, wait_for

from upstatd.clock import FakeClock

NOW = 1_800_000_000


def state(api, monitor_id: str) -> str:
    return api.daemon.monitors.by_id[monitor_id].state.state


async def test_a_window_on_a_group_follows_its_membership(start_api, target):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, group = await api.request("POST", "/api/monitor-groups", json={"name": "Web"})

    async def monitor(name: str, group_id: str | None) -> str:
        status, _, made = await api.request("POST", "/api/monitors", json={
            "type": "tcp", "url": f"tcp://127.0.0.1:{target.port}", "name": name, "interval_seconds": 60,
            "timeout_seconds": 2, "group_id": group_id})
        assert status == 201, made
        await probe(api, made["id"])
        return made["id"]

    member, outsider = await monitor("Member", group["id"]), await monitor("Outsider", None)
    status, _, window = await api.request("POST", "/api/maintenance", json={
        "title": "Web patching", "starts_at": NOW + 300, "ends_at": NOW + 900, "group_ids": [group["id"]]})
    assert status == 201, window
    assert window["group_ids"] == [group["id"]] and window["monitor_ids"] == []
    _, _, shown = await api.request("GET", f"/api/maintenance/{window['id']}")
    assert shown["group_ids"] == [group["id"]]

    await move_to(api, NOW + 300)
    assert (state(api, member), state(api, outsider)) == ("maintenance", "up")
    [(_, _, started)] = await events(api, "maintenance.started")
    assert started["group_ids"] == [group["id"]]

    joiner = await monitor("Joiner", None)
    assert state(api, joiner) == "up"
    status, _, _ = await api.request("PATCH", f"/api/monitors/{joiner}", json={"group_id": group["id"]})
    assert status == 200
    await wait_for(lambda: state(api, joiner) == "maintenance")
    newcomer = await monitor("Newcomer", group["id"])  # made in the group while the window is on
    await wait_for(lambda: state(api, newcomer) == "maintenance")

    status, _, _ = await api.request("PATCH", f"/api/monitors/{member}", json={"group_id": None})
    assert status == 200
    await wait_for(lambda: state(api, member) == "up")  # back to the state it went in with
    assert state(api, joiner) == "maintenance"

    status, _, refused = await api.request("DELETE", f"/api/monitor-groups/{group['id']}")
    assert status == 409 and refused["error"]["code"] == "group_not_empty"
    for made in (joiner, newcomer):
        await api.request("PATCH", f"/api/monitors/{made}", json={"group_id": None})
    status, _, refused = await api.request("DELETE", f"/api/monitor-groups/{group['id']}")
    assert status == 409 and refused["error"]["code"] == "group_in_maintenance", refused
    assert window["id"] in refused["error"]["message"]
    await api.request("PATCH", f"/api/maintenance/{window['id']}", json={"group_ids": []})
    status, _, _ = await api.request("DELETE", f"/api/monitor-groups/{group['id']}")
    assert status == 204


async def test_a_member_leaves_maintenance_when_the_window_ends(start_api, target):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, group = await api.request("POST", "/api/monitor-groups", json={"name": "Web"})
    _, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{target.port}", "name": "Member", "interval_seconds": 60,
        "timeout_seconds": 2, "group_id": group["id"]})
    await probe(api, made["id"])
    await api.request("POST", "/api/maintenance", json={
        "title": "Web patching", "starts_at": NOW + 300, "ends_at": NOW + 900, "group_ids": [group["id"]]})
    await move_to(api, NOW + 300)
    assert state(api, made["id"]) == "maintenance"
    await move_to(api, NOW + 900)
    assert state(api, made["id"]) == "up"


async def test_an_unknown_group_is_refused_naming_its_param(api):
    _, _, group = await api.request("POST", "/api/heartbeat-groups", json={"name": "Jobs"})
    status, _, answer = await api.request("POST", "/api/maintenance", json={
        "title": "x", "starts_at": NOW, "ends_at": NOW + 60, "group_ids": [group["id"], "grp_nothing"]})
    assert status == 422 and answer["error"]["param"] == "group_ids.1", answer
    assert "no group with id or config name 'grp_nothing'" in answer["error"]["message"]
    status, _, made = await api.request("POST", "/api/maintenance", json={
        "title": "x", "starts_at": NOW, "ends_at": NOW + 60, "group_ids": [group["id"]]})
    assert status == 201 and made["group_ids"] == [group["id"]]
    status, _, answer = await api.request("PATCH", f"/api/maintenance/{made['id']}", json={"group_ids": ["nope"]})
    assert status == 422 and answer["error"]["param"] == "group_ids.0", answer


async def test_the_config_files_groups_are_named_by_name(start_api, target):
    monitors = f"""\
        monitors:
          - {{key: a, type: tcp, url: "tcp://127.0.0.1:{target.port}", interval: 60s, timeout: 2s, group: web}}
          - {{key: b, type: tcp, url: "tcp://127.0.0.1:{target.port}", interval: 60s, timeout: 2s, group: web}}
        """
    window = f"""\
        maintenance:
          - {{key: patching, title: Patching, starts_at: {NOW + 300}, ends_at: {NOW + 900}, group_ids: [web]}}
        """
    api = await start_api(textwrap.dedent(monitors) + textwrap.dedent(window), clock=FakeClock(wall=NOW))
    ids = {key: api.daemon.monitors.monitors[key].id for key in ("a", "b")}
    [group] = [row[0] for row in await api.daemon.read_db.execute_fetchall("SELECT id FROM subject_groups")]
    _, _, listed = await api.request("GET", "/api/maintenance")
    assert listed["data"][0]["group_ids"] == [group]
    for key in ids:
        await probe(api, key)
    await move_to(api, NOW + 300)
    assert {key: state(api, made) for key, made in ids.items()} == {"a": "maintenance", "b": "maintenance"}

    text = api.config_path.read_text()
    assert text.count(", group: web}") == 2
    api.config_path.write_text(text.replace(", group: web}", "}", 1))  # a leaves the group
    assert await api.daemon.reload()
    await wait_for(lambda: state(api, ids["a"]) == "up")
    assert state(api, ids["b"]) == "maintenance"


BEATS = """\
heartbeats:
  - {key: backup, period: 1h, grace: 10m, group: jobs}
"""


async def test_a_heartbeat_groups_window_holds_its_deadlines_across_a_restart(start_api):
    first = await start_api(BEATS, clock=FakeClock(wall=NOW))
    beat = first.daemon.heartbeats.beats["backup"]
    async with first.session.post(f"{first.url}/ping/{beat.token}") as answer:
        assert answer.status == 200
    status, _, window = await first.request("POST", "/api/maintenance", json={
        "title": "Backup server move", "starts_at": NOW + 1800, "ends_at": NOW + 7200, "group_ids": ["jobs"]})
    assert status == 201, window
    [(group,)] = await first.daemon.read_db.execute_fetchall("SELECT id FROM subject_groups WHERE key = 'jobs'")
    assert window["group_ids"] == [group]  # a config group's name, shown as its id
    await first.daemon.stop()

    # back after the slot and its grace, inside the window: held, nothing flips at start
    second = await start_api(BEATS + f'storage: {{path: "{first.db_path}"}}\n', clock=FakeClock(wall=NOW + 5000))
    beat = second.daemon.heartbeats.beats["backup"]
    assert beat.state.state == "up" and beat.held
    await move_to(second, NOW + 7200)
    assert beat.state.state == "up" and beat.state.expected_at == NOW + 10800
    assert [kind for kind, _, _ in await events(second, "heartbeat.")] == ["heartbeat.up"]
