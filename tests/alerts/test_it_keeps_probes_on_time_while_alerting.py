"""500 alerts to channels whose receivers take 2 s each do not move probe
lateness: the p99 of the scheduler's lateness while they are sent stays
within 20 ms of the idle figure, measured in the same run. The alerts go
to ten channels at once (webhook and Apprise, whose sends run in their own
threads), each one at a time, in order."""

from __future__ import annotations

import asyncio
import time

from alertkit import Receiver
from loopback import idle, start_raw

INCIDENTS = 50
CHANNELS = 10   # 5 webhook, 5 Apprise: INCIDENTS x CHANNELS alerts
MONITORS = 50


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


async def lateness_over(daemon, seconds: float) -> list[float]:
    stats = daemon.runner.stats
    before = stats.due
    await asyncio.sleep(seconds)
    fired = stats.due - before
    return list(stats.lateness)[-fired:] if fired else []


async def test_500_slow_alerts_do_not_move_probe_lateness(start_api):
    target = await start_raw(idle)
    slow = await Receiver(delay=2.0).start()
    monitors = "\n".join(f"""
              - {{key: m{n}, type: tcp, url: "tcp://127.0.0.1:{target.port}", interval: 1s}}"""
                         for n in range(MONITORS))
    channels = "\n".join(
        f"""
              - {{key: hook{n}, type: webhook, digest_window: 0s, webhook: {{url: "{slow.url(f'/hook{n}')}"}}}}"""
        if n % 2 == 0 else f"""
              - {{key: apprise{n}, type: apprise, digest_window: 0s,
                 apprise: {{url: "json://127.0.0.1:{slow.port}/apprise{n}"}}}}"""
        for n in range(CHANNELS))
    keys = [f"hook{n}" if n % 2 == 0 else f"apprise{n}" for n in range(CHANNELS)]
    try:
        api = await start_api(f"""
            alert_channels:{channels}
            defaults: {{alert_channels: [{", ".join(keys)}]}}
            monitors:{monitors}
            """)
        daemon = api.daemon
        daemon.alerts.timeout = 30.0
        await asyncio.sleep(1.5)  # every monitor is on its grid
        idle_lateness = await lateness_over(daemon, 4)

        for n in range(INCIDENTS):  # manual incidents go to the default channels
            status, _, _ = await api.request("POST", "/api/incidents", json={"title": f"outage {n}"})
            assert status == 201
        await daemon.writer.flush()
        (queued,) = (await daemon.read_db.execute_fetchall("SELECT count(*) FROM alerts"))[0]
        assert queued == INCIDENTS * CHANNELS
        started = time.monotonic()
        busy_lateness = await lateness_over(daemon, 5)
        in_flight = len(slow.got)

        assert len(idle_lateness) > 100 and len(busy_lateness) > 100
        idle_p99, busy_p99 = p99(idle_lateness), p99(busy_lateness)
        print(f"probe lateness p99: idle {idle_p99 * 1000:.1f} ms, alerting {busy_p99 * 1000:.1f} ms "
              f"({in_flight} requests at the slow receivers in {time.monotonic() - started:.1f} s)")
        assert busy_p99 <= idle_p99 + 0.020, (idle_p99, busy_p99)
        assert CHANNELS <= in_flight < INCIDENTS * CHANNELS  # every channel busy, none done: one at a time
    finally:
        await slow.close()
        await target.close()
