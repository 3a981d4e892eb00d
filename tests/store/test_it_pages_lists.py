"""Lists are cut in the store: plain filter values in, a page of rows out;
refusals are domain errors (the API maps them to its 400 / 422)."""

import pytest

from upstatd.errors import Invalid, Malformed
from upstatd.events import EventBus
from upstatd.store import events, pages


def test_a_filter_outside_its_vocabulary_is_refused_by_name():
    with pytest.raises(Malformed) as refused:
        pages.Where().equal("status", "sleeping", "status", ("active", "paused"))
    assert (refused.value.param, refused.value.message) == (
        "status", "status must be one of active, paused, got 'sleeping'")
    where = pages.Where("owner = ?", 7).equal("status", None, "status", ("active",)).equal("kind", "fail")
    assert (where.sql, where.args) == ("owner = ? AND kind = ?", [7, "fail"])


def test_a_created_range_is_inclusive_in_seconds_and_refused_reversed():
    where = pages.Where().created(10, 20)
    assert (where.sql, where.args) == ("1 AND created_at >= ? AND created_at < ?", [10_000, 21_000])
    with pytest.raises(Malformed) as refused:
        pages.Where().created(20, 10)
    assert refused.value.param == "created_lte"


async def test_an_events_page_walks_by_cursor_and_refuses_unknown_ones(store):
    conn, writer, _ = store
    bus = EventBus(writer)
    for n in range(3):
        bus.emit("monitor.down", {"id": f"mon_{n}"}, 1_800_000_000.0 + n)
    await writer.flush()
    first, more = await conn.call(lambda db: events.list_page(db, limit=2))
    assert [event.object["id"] for event in first] == ["mon_2", "mon_1"] and more
    rest, more = await conn.call(lambda db: events.list_page(db, limit=2, starting_after=first[-1].id))
    assert [event.object["id"] for event in rest] == ["mon_0"] and not more
    with pytest.raises(Malformed) as refused:
        await conn.call(lambda db: events.list_page(db, limit=2, starting_after="evt_nothing"))
    assert refused.value.param == "starting_after"
    with pytest.raises(Invalid):
        await conn.call(lambda db: events.list_page(db, limit=0))
    with pytest.raises(Malformed):
        await conn.call(lambda db: events.list_page(db, type="nothing.*", limit=10))
