"""A recurring window through the real daemon, across a daylight-saving change:
"03:30 Europe/Riga every day" for an hour. On 2026-03-29 clocks spring forward
at 03:00 EET to 04:00 EEST, so 03:30 does not exist that night: the window
starts at 04:30 EEST (01:30Z), the instant 03:30 EET would be; the next day at
03:30 EEST (00:30Z). The wheel's timers say so, and so do the events."""

from __future__ import annotations

from datetime import datetime, timezone as tz

from daemonkit import events, move_to

from upstatd.clock import FakeClock

NOW = datetime(2026, 3, 28, 12, 0, tzinfo=tz.utc).timestamp()
CONFIG = """\
monitors:
  - {key: web, type: http, url: "http://127.0.0.1:9/", interval: 1h}
maintenance:
  - key: nightly
    title: Nightly restarts
    cron: "30 3 * * *"
    duration: 1h
    timezone: Europe/Riga
    monitor_ids: [web]
"""


def utc(text: str) -> float:
    return datetime.fromisoformat(text + "+00:00").timestamp()


async def test_it_starts_at_the_named_local_time_across_the_change(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    service = api.daemon.maintenance
    [window_id] = service.rows
    starts = service.timers["start"]
    assert starts.when(window_id) == api.clock.monotonic() + utc("2026-03-29T01:30:00") - NOW

    await move_to(api, utc("2026-03-29T01:29:00"))
    assert await events(api, "maintenance.started") == []
    await move_to(api, utc("2026-03-29T01:30:00"))
    await move_to(api, utc("2026-03-29T02:30:00"))
    await move_to(api, utc("2026-03-30T00:30:00"))
    said = [(kind, at) for kind, at, _ in await events(api, "maintenance.")]
    assert said == [("maintenance.scheduled", NOW),
                    ("maintenance.started", utc("2026-03-29T01:30:00")),
                    ("maintenance.ended", utc("2026-03-29T02:30:00")),
                    ("maintenance.started", utc("2026-03-30T00:30:00"))]
    assert api.daemon.monitors.monitors["web"].state.state == "maintenance"
