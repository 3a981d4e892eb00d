"""Windows survive restarts: their timers are armed again at start from the
stored rows, and a window that began or ended while the daemon was stopped
says so once, at start (its `active` column is what was said last); a monitor
stopped in maintenance leaves it when the window is over."""

from __future__ import annotations

from daemonkit import events, move_to

from upstatd.clock import FakeClock

NOW = 1_800_000_000
CONFIG = """\
monitors:
  - {key: web, type: http, url: "http://127.0.0.1:9/", interval: 1h}
"""


async def test_a_restart_rearms_the_timers_and_says_what_happened_while_stopped(start_api):
    first = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    _, _, window = await first.request("POST", "/api/maintenance", json={
        "title": "Upgrade", "starts_at": NOW + 600, "ends_at": NOW + 1200, "monitor_ids": ["web"]})
    await first.daemon.stop()
    storage = f'storage: {{path: "{first.db_path}"}}\n'

    # started while stopped: said at start; the end timer is armed from the row
    second = await start_api(CONFIG + storage, clock=FakeClock(wall=NOW + 700))
    assert [(kind, at) for kind, at, _ in await events(second, "maintenance.")] == [
        ("maintenance.scheduled", NOW), ("maintenance.started", NOW + 700)]
    assert second.daemon.monitors.monitors["web"].state.state == "maintenance"
    ends = second.daemon.maintenance.timers["end"]
    assert ends.when(window["id"]) == second.clock.monotonic() + 500
    await second.daemon.stop()

    # ended while stopped: said once, and the monitor is out of maintenance
    third = await start_api(CONFIG + storage, clock=FakeClock(wall=NOW + 5000))
    await move_to(third, NOW + 5001)
    assert [kind for kind, _, _ in await events(third, "maintenance.")] == [
        "maintenance.scheduled", "maintenance.started", "maintenance.ended"]
    assert third.daemon.monitors.monitors["web"].state.state == "pending"
    _, _, shown = await third.request("GET", f"/api/maintenance/{window['id']}")
    assert shown["status"] == "ended" and shown["upcoming"] == []
