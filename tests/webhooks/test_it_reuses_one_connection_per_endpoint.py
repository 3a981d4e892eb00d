"""An endpoint's deliveries go over one kept-alive connection: a burst of 300
events reaches a receiver on loopback in order, each once, over a single
connection, with every attempt recorded and the attempts saved a page at a
time (a few writer transactions, not one per event)."""

from __future__ import annotations

from hookkit import Receiver, deliveries, eventually, webhooks_yaml


async def test_a_burst_goes_over_one_connection_in_order(start_api):
    receiver = await Receiver().start()
    try:
        api = await start_api(webhooks_yaml(receiver.url, events='["monitor.*"]'))
        writer = api.daemon.writer
        jobs = writer.jobs
        now = api.clock.time()
        sent = [api.daemon.bus.emit("monitor.down", {"n": n}, now) for n in range(300)]
        await receiver.wait_for(300)
        assert [item.headers["Upstat-Event-Id"] for item in receiver.got] == [event.id for event in sent]
        assert receiver.connections() == 1
        rows = await eventually(lambda: _at_least(api, 300))
        assert rows == [(1, 1, 200, event.id) for event in sent]
        assert writer.jobs - jobs <= 6  # three pages of 100 (it was a transaction per event)
    finally:
        await receiver.close()


async def _at_least(api, n: int) -> list:
    rows = [tuple(row) for row in await deliveries(api.daemon)]
    return rows if len(rows) >= n else []
