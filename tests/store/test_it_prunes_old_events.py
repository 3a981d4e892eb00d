"""Events are kept 30 days."""

from upstatd.events import EventBus, prune


async def test_it_deletes_events_older_than_thirty_days(store):
    conn, writer, _ = store
    bus = EventBus(writer)
    now = 1_800_000_000.0
    for age_days in (31, 30.5, 29.9, 0):
        bus.emit("monitor.down", {"id": f"mon_{age_days}"}, now - age_days * 86400)
    await writer.flush()
    assert await conn.transaction(prune, round(now * 1000)) == 2
    left = [row[0] for row in await conn.execute_fetchall("SELECT json_extract(data, '$.object.id') FROM events")]
    assert left == ["mon_29.9", "mon_0"]
