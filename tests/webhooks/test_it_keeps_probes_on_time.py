"""A slow receiver never delays probes or other receivers: 1,000 events to a
receiver taking 50 ms per request while a TCP monitor probes every second;
the probes keep their schedule, the event loop stays responsive, and a fast
receiver gets all 1,000 in order meanwhile."""

from __future__ import annotations

import asyncio
import time

from hookkit import SECRET, Receiver
from loopback import idle, start_raw


async def test_1000_events_to_a_slow_receiver_do_not_delay_probes(start_api):
    target = await start_raw(idle)  # accepts: the TCP monitor is up
    slow = await Receiver(delay=0.05).start()
    fast = await Receiver().start()
    try:
        api = await start_api(f"""
            monitors:
              - {{key: port, type: tcp, url: "tcp://127.0.0.1:{target.port}", interval: 1s}}
            webhooks:
              - {{key: slow, url: "{slow.url}", events: ["monitor.updated"], secret: "{SECRET}"}}
              - {{key: fast, url: "{fast.url}", events: ["monitor.updated", "incident.*"], secret: "{SECRET}"}}
            """)
        daemon = api.daemon
        await asyncio.sleep(1.5)  # the monitor is running
        lags: list[float] = []

        async def sample() -> None:  # how late a 10 ms sleep wakes up: the loop's responsiveness
            while True:
                started = time.monotonic()
                await asyncio.sleep(0.01)
                lags.append(time.monotonic() - started - 0.01)

        sampler = asyncio.create_task(sample())
        before = daemon.runner.stats.lateness_max
        checks_before = await _checks(daemon)
        started = time.monotonic()
        sent = [daemon.bus.emit("monitor.updated", {"n": n}, daemon.clock.time()) for n in range(1000)]
        await fast.wait_for(1000, timeout=15)
        fast_took = time.monotonic() - started
        await asyncio.sleep(max(0.0, 5 - fast_took))
        elapsed = time.monotonic() - started
        sampler.cancel()

        assert [item.headers["Upstat-Event-Id"] for item in fast.got] == [event.id for event in sent]
        assert 0 < len(slow.got) < 1000  # still working through them, one at a time, in order
        assert [item.json["data"]["object"]["n"] for item in slow.got] == list(range(len(slow.got)))
        checks = await _checks(daemon) - checks_before
        assert checks >= int(elapsed) - 1, (checks, elapsed)  # one probe a second throughout
        lateness = daemon.runner.stats.lateness_max
        assert lateness < 0.1 or lateness == before, daemon.runner.stats.snapshot()
        assert max(lags) < 0.25, max(lags)
        print(f"fast receiver: 1000 in {fast_took:.2f}s; slow: {len(slow.got)}; checks {checks} in {elapsed:.1f}s; "
              f"lateness max {lateness * 1000:.1f} ms; loop lag max {max(lags) * 1000:.1f} ms")
    finally:
        await slow.close()
        await fast.close()
        await target.close()


async def _checks(daemon) -> int:
    await daemon.writer.flush()
    (count,) = (await daemon.read_db.execute_fetchall("SELECT count(*) FROM checks"))[0]
    return count
