"""A consumer reads the committed events after its own cursor, in order,
keeps those its filter takes, and moves its stored cursor past the others;
a failure not worth retrying is recorded and given up; a consumer started
again (a restart) goes on from the stored cursor, counting attempts on."""

from __future__ import annotations

from outboxkit import Script, eventually
from upstatd.delivery.outbox import Attempt


async def test_events_go_in_order_and_the_filter_picks_them(box):
    channel = Script()
    box.consumer(channel)
    sent = [await box.emit(kind) for kind in ("monitor.down", "incident.created", "monitor.up", "heartbeat.up")]
    await eventually(lambda: len(channel.got) == 2)
    assert [event.id for event in channel.got] == [sent[0][1].id, sent[2][1].id]
    await eventually(lambda: _cursor_is(box, sent[-1][0]))  # past the events not for it too
    assert [row[3] for row in await box.attempts()] == [sent[0][1].id, sent[2][1].id]


async def test_a_failure_not_worth_retrying_is_given_up(box):
    channel = Script([Attempt(False, 410, 1.0, "HTTP 410: gone", retry=False)])
    box.consumer(channel)
    (_, first), (last_seq, second) = await box.emit(), await box.emit()
    await eventually(lambda: len(channel.got) == 2)
    rows = await eventually(lambda: _rows(box, 2))
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [(1, 0, first.id, None), (1, 1, second.id, None)]
    await eventually(lambda: _cursor_is(box, last_seq))


async def test_a_restarted_consumer_goes_on_from_its_cursor(box):
    failing = Script([Attempt(False, None, 1.0, "refused")] * 1000)
    first = box.consumer(failing)
    seq, event = await box.emit()
    await eventually(lambda: _rows(box, 2))
    await box.outbox.remove(first.name)  # a stop mid-retry
    made = len(await box.attempts())

    again = Script()
    box.consumer(again, resume_waits=True)
    rows = await eventually(lambda: _rows(box, made + 1))
    assert [row[0] for row in rows] == list(range(1, made + 2))  # attempts kept counting
    assert rows[-1][1] == 1 and [e.id for e in again.got] == [event.id]
    await eventually(lambda: _cursor_is(box, seq))


async def _rows(box, n: int) -> list:
    rows = await box.attempts()
    return rows if len(rows) >= n else []


async def _cursor_is(box, seq: int) -> bool:
    return (await box.target())[0] == seq
