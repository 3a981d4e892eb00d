"""Pruning the history tables goes a window of rows at a time (store/retention.py):
each writer job looks at BATCH rows at most and so deletes at most that many,
rows that must stay are stepped over rather than stalling the pass, the pass
stops at the first window that reaches young rows, and the daemon's loop
(upstatd/retention.py) reads its times from the injected clock and takes no
writer job for a table with nothing old."""

from prunekit import DAY_MS, NOW_MS, alert, channel, delivery, endpoint, event, ids, incident, set_cursor
from upstatd import retention
from upstatd.clock import FakeClock
from upstatd.config.schema import Retention
from upstatd.store import retention as windows


async def test_each_window_is_bounded_and_kept_rows_are_stepped_over(store):
    database, writer, _ = store

    def seed(conn):
        ch = channel(conn)
        still_open = incident(conn, "open")
        kept = [alert(conn, ch, 200, "sent", still_open) for _ in range(25)]   # a long outage's alerts
        old = [alert(conn, ch, 200, "sent") for _ in range(30)]
        young = [alert(conn, ch, 1, "sent") for _ in range(15)]
        set_cursor(conn, ch)
        return kept, old, young

    kept, old, young = await writer.run(seed)
    calls, after = [], 0
    while after is not None:
        start = after
        count, after = await writer.run(lambda conn: windows.prune(conn, "alerts", start, NOW_MS - 90 * DAY_MS, 10))
        calls.append(count)
    assert all(count <= 10 for count in calls) and sum(calls) == 30
    assert len(calls) == 6   # 25 kept + 30 old rows: 6 windows, the 6th reaches the young ones
    assert await ids(database, "SELECT id FROM alerts ORDER BY seq") == kept + young


async def test_the_pass_takes_the_clock_and_each_tables_retention(store):
    database, writer, _ = store
    jobs = []

    class Counted:   # the real writer, its jobs counted
        async def run(self, fn):
            jobs.append(fn)
            return await writer.run(fn)

    def seed(conn):
        seq, event_id = event(conn, 40)
        hook = endpoint(conn, seq)
        conn.executemany(
            "INSERT INTO webhook_deliveries (endpoint_seq, event_id, event_type, attempt, created_at, ok) "
            "VALUES (?, ?, 'monitor.down', 1, ?, 1)", [(hook, event_id, NOW_MS - 40 * DAY_MS)] * 12_000)
        return [delivery(conn, hook, event_id, age) for age in (29.5, 1)]

    recent = await writer.run(seed)
    clock = FakeClock(wall=NOW_MS / 1000)
    removed = await retention.prune(Counted(), database, clock.time, Retention(deliveries=30 * 86400.0), pause=0)
    assert removed == {"events": 0, "webhook_deliveries": 12_000, "alerts": 0, "alert_attempts": 0}
    # 12,002 rows: 3 windows; the other tables have nothing old (the one old event is the newest)
    assert len(jobs) == 3
    assert await ids(database, "SELECT seq FROM webhook_deliveries ORDER BY seq") == recent
    clock.advance(DAY_MS / 1000)
    removed = await retention.prune(Counted(), database, clock.time, Retention(deliveries=30 * 86400.0), pause=0)
    assert removed["webhook_deliveries"] == 1   # 30.5 days old now; the newest row stays
    assert await ids(database, "SELECT seq FROM webhook_deliveries") == recent[1:]
    jobs.clear()
    await retention.prune(Counted(), database, clock.time, Retention(deliveries=30 * 86400.0), pause=0)
    assert jobs == []   # nothing old left: a read each, no writer time
