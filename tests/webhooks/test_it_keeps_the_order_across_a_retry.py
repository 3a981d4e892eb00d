"""A receiver that fails in the middle of a burst: the events before the
failure are recorded with it, nothing behind the failed event is sent while
its retry waits (on the daemon's clock, moved by the test), and once it
succeeds the rest follow in order, each once, over the same connection."""

from __future__ import annotations

from hookkit import SECRET, Receiver, deliveries, eventually, webhooks_yaml
from upstatd.clock import FakeClock
from upstatd.delivery.sign import verify

NOW = 1_800_000_000


async def test_the_events_behind_a_failure_wait_for_its_retry_in_order(start_api):
    receiver = await Receiver(script=[200] * 40 + [500, 503]).start()
    clock = FakeClock(wall=NOW)
    try:
        api = await start_api(webhooks_yaml(receiver.url, events='["monitor.*"]'), clock=clock)
        sent = [api.daemon.bus.emit("monitor.down", {"n": n}, clock.time()) for n in range(150)]
        await receiver.wait_for(41)
        await eventually(lambda: clock.sleeping)  # the retry's backoff, on the daemon's clock
        assert len(receiver.got) == 41
        rows = [tuple(row) for row in await deliveries(api.daemon)]
        assert rows == [(1, 1, 200, event.id) for event in sent[:40]] + [(1, 0, 500, sent[40].id)]

        clock.advance(1.2)  # 1 s ± 20 %
        await receiver.wait_for(42)
        await eventually(lambda: clock.sleeping)
        assert len(receiver.got) == 42
        clock.advance(2.4)  # 2 s ± 20 %
        await receiver.wait_for(150, ok=True)

        ids = [item.headers["Upstat-Event-Id"] for item in receiver.got]
        assert ids == [e.id for e in sent[:40]] + [sent[40].id] * 3 + [e.id for e in sent[41:]]
        assert [item.status for item in receiver.got[40:43]] == [500, 503, 200]
        assert receiver.connections() == 1  # kept alive across the failures
        assert all(verify(SECRET, item.body, item.headers["Upstat-Signature"], now=clock.time())
                   for item in receiver.got)
        rows = await eventually(lambda: _at_least(api, 152))
        assert [(row[0], row[1], row[2]) for row in rows if row[3] == sent[40].id] == [
            (1, 0, 500), (2, 0, 503), (3, 1, 200)]
        assert [row[3] for row in rows if row[1] == 1] == [event.id for event in sent]
    finally:
        await receiver.close()


async def _at_least(api, n: int) -> list:
    rows = [tuple(row) for row in await deliveries(api.daemon)]
    return rows if len(rows) >= n else []
