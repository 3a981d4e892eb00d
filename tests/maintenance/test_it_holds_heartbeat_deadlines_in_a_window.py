"""A heartbeat through the real daemon: its slot falls inside a maintenance
window, the ping does not come, and nothing flips (no late, no down, no
incident); after the window its deadlines count from the window's end, and a
ping that still does not come is late and then down then, as usual."""

from __future__ import annotations

from daemonkit import events, move_to

from upstatd.clock import FakeClock

NOW = 1_800_000_000
CONFIG = """\
heartbeats:
  - {key: backup, period: 1h, grace: 10m}
"""


async def test_a_slot_missed_in_a_window_does_not_alarm(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    beat = api.daemon.heartbeats.beats["backup"]
    async with api.session.post(f"{api.url}/ping/{beat.token}") as answer:
        assert answer.status == 200
    status, _, window = await api.request("POST", "/api/maintenance", json={
        "title": "Backup server move", "starts_at": NOW + 1800, "ends_at": NOW + 7200, "heartbeat_ids": ["backup"]})
    assert status == 201, window

    await move_to(api, NOW + 1800)
    await move_to(api, NOW + 3600 + 600 + 60)   # the slot and its grace passed inside the window
    assert beat.state.state == "up"
    await move_to(api, NOW + 7200)
    assert beat.state.state == "up" and beat.state.expected_at == NOW + 7200 + 3600
    _, _, shown = await api.request("GET", "/api/heartbeats")
    assert shown["data"][0]["next_expected_at"] == NOW + 10800

    await move_to(api, NOW + 10800)
    await move_to(api, NOW + 10800 + 600)
    flips = [(kind, at) for kind, at, _ in await events(api, "heartbeat.")]
    assert flips == [("heartbeat.up", NOW), ("heartbeat.late", NOW + 10800), ("heartbeat.down", NOW + 11400)]
    incidents = await api.daemon.read_db.execute_fetchall("SELECT started_at FROM incidents")
    assert [tuple(row) for row in incidents] == [((NOW + 11400) * 1000,)]


async def test_a_slot_missed_while_stopped_in_a_window_does_not_alarm_at_start(start_api):
    first = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    beat = first.daemon.heartbeats.beats["backup"]
    async with first.session.post(f"{first.url}/ping/{beat.token}") as answer:
        assert answer.status == 200
    await first.request("POST", "/api/maintenance", json={
        "title": "Backup server move", "starts_at": NOW + 1800, "ends_at": NOW + 7200, "heartbeat_ids": ["backup"]})
    await first.daemon.stop()

    # back after the slot and its grace, inside the window: held, nothing flips at start
    second = await start_api(CONFIG + f'storage: {{path: "{first.db_path}"}}\n', clock=FakeClock(wall=NOW + 5000))
    beat = second.daemon.heartbeats.beats["backup"]
    assert beat.state.state == "up" and beat.held
    await move_to(second, NOW + 7200)
    assert beat.state.state == "up" and beat.state.expected_at == NOW + 10800
    assert [kind for kind, _, _ in await events(second, "heartbeat.")] == ["heartbeat.up"]
