"""Only the newest `pings.keep` pings of each heartbeat are kept; numbering goes on."""

from __future__ import annotations

from wiring import outbox
from upstatd.clock import FakeClock
from upstatd.config.heartbeats import PingSettings, parse_heartbeats
from upstatd.config.check import Problems
from upstatd.heartbeats.service import HeartbeatService
from upstatd.scheduler.runner import Runner
from upstatd.store import heartbeats as heartbeat_rows


async def test_it_keeps_the_newest_pings_of_each_heartbeat(store):
    conn, writer, _ = store
    clock = FakeClock()
    problems = Problems("test")
    specs = parse_heartbeats([{"key": "a", "period": 60}, {"key": "b", "period": 60}], ("heartbeats",), problems)
    assert not problems
    rows = await conn.transaction(heartbeat_rows.reconcile, specs, clock.time())
    service = HeartbeatService(clock, Runner(clock), writer, *outbox(clock, writer), PingSettings(keep=3))
    service.apply(specs, rows)
    for _ in range(5):
        service.ping(service.beats["a"], "success", "GET")
        clock.advance(1)
    service.ping(service.beats["b"], "success", "GET")
    await writer.flush()

    assert await service.prune() == 2
    assert [tuple(row) for row in await conn.execute_fetchall(
        "SELECT h.key, p.n FROM pings p JOIN heartbeats h ON h.seq = p.heartbeat_seq ORDER BY h.key, p.n")] == [
        ("a", 3), ("a", 4), ("a", 5), ("b", 1)]
    service.ping(service.beats["a"], "success", "GET")
    await writer.flush()
    assert (await conn.execute_fetchall("SELECT max(n) FROM pings"))[0][0] == 6
    assert await service.prune() == 1
