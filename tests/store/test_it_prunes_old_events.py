"""Events are kept 30 days, a window at a time, but never one an enabled webhook
endpoint is not done with (its consumer reads the events after its cursor),
and never the newest (the next seq would be given again, under the cursors)."""

from prunekit import NOW_MS, endpoint, event, ids, prune_all
from upstatd.events import EventBus, RETENTION_DAYS


async def test_it_deletes_events_older_than_thirty_days(store):
    database, writer, _ = store
    bus = EventBus(writer)
    now = NOW_MS / 1000
    for age_days in (31, 30.5, 29.9, 0):
        bus.emit("monitor.down", {"id": f"mon_{age_days}"}, now - age_days * 86400)
    await writer.flush()
    assert await prune_all(writer, "events", RETENTION_DAYS) == 2
    left = await ids(database, "SELECT json_extract(data, '$.object.id') FROM events ORDER BY seq")
    assert left == ["mon_29.9", "mon_0"]


async def test_it_keeps_the_events_an_enabled_endpoint_has_not_done_with(store):
    database, writer, _ = store
    seqs = await writer.run(lambda conn: [event(conn, 40)[0] for _ in range(6)] + [event(conn, 1)[0]])
    # one endpoint done with the first two, a disabled one with none (enabling it skips to the newest)
    await writer.run(lambda conn: (endpoint(conn, seqs[1]), endpoint(conn, 0, enabled=False)))
    assert await prune_all(writer, "events", 30) == 2
    assert await ids(database, "SELECT seq FROM events ORDER BY seq") == seqs[2:]
    await writer.run(lambda conn: conn.execute("UPDATE webhook_endpoints SET cursor = ?", (seqs[-1],)))
    assert await prune_all(writer, "events", 30) == 4
    assert await ids(database, "SELECT seq FROM events") == seqs[-1:]


async def test_it_keeps_the_newest_event_however_old(store):
    database, writer, _ = store
    seqs = await writer.run(lambda conn: [event(conn, 90)[0] for _ in range(3)])
    await writer.run(lambda conn: endpoint(conn, seqs[-1]))  # done with them all
    assert await prune_all(writer, "events", 30) == 2
    assert await ids(database, "SELECT seq FROM events") == seqs[-1:]
    # so the next event is numbered after every cursor, and the endpoint gets it
    (seq, _), = await writer.run(lambda conn: [event(conn, 0)])
    assert seq == seqs[-1] + 1
