"""A maintenance window through the real daemon (FakeClock, a TCP target on
loopback): while it is on, the monitor's probes go on and every check is
stored, but its state reads `maintenance`, no incident opens and no alert is
queued, and its uptime leaves that time out. When the window ends with the
target still down, the monitor is back in the state it went in with (up) and
the usual confirmation (2 failures) takes it down: the incident opens then."""

from __future__ import annotations

from daemonkit import events, move_to, probe

from upstatd.clock import FakeClock

NOW = 1_800_000_000
CONFIG = """\
alert_channels:
  - {key: ops, type: webhook, webhook: {url: "http://127.0.0.1:9/hook"}}
defaults: {alert_channels: [ops]}
"""


async def rows(api, sql: str) -> list:
    return [tuple(row) for row in await api.daemon.read_db.execute_fetchall(sql)]


async def test_a_target_down_in_a_window_opens_its_incident_only_after_it(start_api, target):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{target.port}", "name": "Loopback", "interval_seconds": 60,
        "timeout_seconds": 2, "confirmation": {"failures": 2, "successes": 1, "recheck_seconds": 5}})
    key = monitor["id"]
    status, _, window = await api.request("POST", "/api/maintenance", json={
        "title": "Switch replacement", "starts_at": NOW + 300, "ends_at": NOW + 900, "monitor_ids": [key]})
    assert status == 201, window
    await probe(api, key)
    assert api.daemon.monitors.by_id[key].state.state == "up"

    await move_to(api, NOW + 300)
    _, _, shown = await api.request("GET", f"/api/monitors/{key}")
    assert shown["current_state"] == "maintenance" and shown["since"] == NOW + 300
    [(kind, at, obj)] = await events(api, "maintenance.started")
    assert (at, obj["id"], obj["status"]) == (NOW + 300, window["id"], "active")

    await target.down()
    for _ in range(4):  # on the grid: no re-checks while nothing is weighed
        await probe(api, key)
    checks = await rows(api, "SELECT ok, state FROM checks ORDER BY seq")
    assert checks[-4:] == [(0, "maintenance")] * 4
    assert await rows(api, "SELECT count(*) FROM incidents") == [(0,)]
    assert await rows(api, "SELECT count(*) FROM alerts") == [(0,)]
    assert [kind for kind, _, _ in await events(api, "monitor.")] == ["monitor.created", "monitor.up"]

    await move_to(api, NOW + 900)
    [(kind, at, obj)] = await events(api, "maintenance.ended")
    assert at == NOW + 900 and obj["status"] == "ended"
    assert api.daemon.monitors.by_id[key].state.state == "up"
    _, _, listed = await api.request("GET", "/api/monitors")
    assert listed["data"][0]["stats"]["uptime_24h"] == 100.0  # the 10 minutes down in maintenance: not counted

    for _ in range(3):  # a slot may have probed while the clock moved to the end
        if api.daemon.monitors.by_id[key].state.state == "down":
            break
        await probe(api, key)
    after = await rows(api, f"SELECT created_at, ok, state FROM checks WHERE created_at >= {(NOW + 900) * 1000}")
    assert [check[1:] for check in after] == [(0, "up"), (0, "down")]  # confirmed by the usual 2 failures
    [(started_at, status)] = await rows(api, "SELECT started_at, status FROM incidents")
    assert (started_at, status) == (after[1][0], "open")
    assert await rows(api, "SELECT reason FROM alerts") == [("opened",)]
    assert [change[2:] for change in await rows(
        api, "SELECT monitor_seq, created_at, from_state, to_state FROM state_changes ORDER BY seq")] == [
        ("pending", "up"), ("up", "maintenance"), ("maintenance", "up"), ("up", "down")]
