"""Reminders: while an incident is open and not acknowledged, each channel
with a `reminder_interval` is reminded every interval (a monitor's own
interval beats the channel's); acknowledging stops them; a reminder that
came due while the daemon was stopped is sent once at start. The daemon's
clock is a FakeClock: the wheel fires the reminder timers as it moves."""

from __future__ import annotations

import asyncio
import time

from alertkit import one_channel, webhook_channel
from loopback import closed_port, eventually
from upstatd.clock import FakeClock

NOW = 1_800_000_000


def config(url: str, port: int, storage: str, monitor_interval: str = "") -> str:
    return one_channel(webhook_channel(url, "reminder_interval: 30m"), more=f"""
        {storage}
        monitors:
          - key: db
            type: tcp
            url: "tcp://127.0.0.1:{port}"
            interval: 1h
            confirmation: {{failures: 1}}
            {monitor_interval}
        """)


async def tick(api, seconds: float) -> None:
    """Move the daemon's clock on, and let what came due run (the wheel ticks in real time)."""
    api.clock.advance(seconds)
    await asyncio.sleep(0.05)
    await api.daemon.writer.flush()


async def first_probe(api) -> None:
    monitors = api.daemon.monitors
    due = monitors.slots.when("db")
    api.clock.advance(max(0.0, due - api.clock.monotonic()) + api.daemon.runner.wheel.tick)
    await eventually(lambda: monitors.monitors["db"].state.state == "down", timeout=5)


def reasons(receiver) -> list[str]:
    return [receiver.json(n)["reason"] for n in range(len(receiver.got))]


async def test_reminders_come_every_interval_until_acknowledged(start_api, tmp_path, receiver):
    api = await start_api(config(receiver.url("/hook"), closed_port(), f'storage: {{path: "{tmp_path}/a.db"}}'),
                          clock=FakeClock(wall=NOW))
    await first_probe(api)
    await eventually(lambda: reasons(receiver) == ["opened"], timeout=5)
    await tick(api, 29 * 60)
    await asyncio.sleep(0.2)
    assert reasons(receiver) == ["opened"]  # not before the interval
    await tick(api, 61)
    await eventually(lambda: reasons(receiver) == ["opened", "reminder"], timeout=5)
    assert receiver.json(1)["subject"].startswith("[STILL DOWN] monitor db is down")
    await tick(api, 30 * 60 + 1)  # from the last one
    await eventually(lambda: reasons(receiver) == ["opened", "reminder", "reminder"], timeout=5)

    status, _, page = await api.request("GET", "/api/incidents")
    incident = page["data"][0]
    status, _, _ = await api.request("POST", f"/api/incidents/{incident['id']}/acknowledge", json={})
    assert status == 200
    await tick(api, 2 * 3600)
    await asyncio.sleep(0.3)
    assert reasons(receiver) == ["opened", "reminder", "reminder"]  # acknowledged: no more
    status, _, alerts = await api.request("GET", f"/api/incidents/{incident['id']}/alerts")
    assert [a["reason"] for a in alerts["data"]] == ["reminder", "reminder", "opened"]


async def test_a_monitors_own_interval_beats_the_channels(start_api, tmp_path, receiver):
    api = await start_api(config(receiver.url("/hook"), closed_port(), f'storage: {{path: "{tmp_path}/b.db"}}',
                                 "reminder_interval: 5m"), clock=FakeClock(wall=NOW))
    await first_probe(api)
    await eventually(lambda: reasons(receiver) == ["opened"], timeout=5)
    await tick(api, 5 * 60 + 1)
    await eventually(lambda: reasons(receiver) == ["opened", "reminder"], timeout=5)


async def test_a_reminder_due_while_stopped_is_sent_once_at_start(start_api, tmp_path, receiver):
    port = closed_port()
    storage = f'storage: {{path: "{tmp_path}/c.db"}}'
    clock = FakeClock(wall=NOW)
    api = await start_api(config(receiver.url("/hook"), port, storage), clock=clock)
    await first_probe(api)
    await eventually(lambda: reasons(receiver) == ["opened"], timeout=5)
    await api.daemon.stop()

    later = FakeClock(start=clock.monotonic(), wall=clock.time() + 3 * 3600)  # three intervals later
    again = await start_api(config(receiver.url("/hook"), port, storage), clock=later)
    await tick(again, 1)  # the wheel fires what is due once its clock moves past it
    await eventually(lambda: reasons(receiver) == ["opened", "reminder"], timeout=5)
    started = time.monotonic()
    while time.monotonic() - started < 0.3:
        await asyncio.sleep(0.05)
    assert reasons(receiver) == ["opened", "reminder"]  # once, not three times
    await tick(again, 30 * 60 + 1)
    await eventually(lambda: reasons(receiver) == ["opened", "reminder", "reminder"], timeout=5)
