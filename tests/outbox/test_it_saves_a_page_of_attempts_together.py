"""A consumer saves its successes a page at a time: the page's attempt rows and
the cursor past it are one writer transaction, not one per event. The
successes sent before a failure commit with the failure; nothing behind a
failing event is sent until its retry, which waits on the injected clock. A
consumer stopped in the middle of a page records what it sent."""

from __future__ import annotations

import asyncio

from outboxkit import OK, Script, eventually
from upstatd.clock import FakeClock
from upstatd.delivery.outbox import BATCH, Attempt
from upstatd.delivery.policy import Policy

FAILED = Attempt(False, 503, 1.0, "HTTP 503: busy")


async def test_a_page_of_successes_is_one_transaction(box):
    channel = Script()
    box.consumer(channel)
    jobs = box.writer.jobs
    made = await box.emit_many(2 * BATCH + 50)  # one job
    await eventually(lambda: len(channel.got) == len(made))
    await eventually(lambda: _cursor_is(box, made[-1][0]))
    assert [event.id for event in channel.got] == [event.id for _, event in made]
    rows = await box.attempts()
    assert [(row[0], row[1], row[3]) for row in rows] == [(1, 1, event.id) for _, event in made]
    assert box.writer.jobs - jobs <= 1 + 3  # the emit, then a job per page (it was one per event)


async def test_successes_before_a_failure_commit_with_it_and_the_rest_wait_for_the_retry(box):
    clock = box.outbox.clock = FakeClock(wall=1_800_000_000)  # a retry waits until it is moved
    channel = Script([OK] * 10 + [FAILED, FAILED])
    box.consumer(channel, Policy(backoff_base=1.0, backoff_max=10.0, jitter=0.0, disable_after=None))
    made = await box.emit_many(30)
    await eventually(lambda: clock.sleeping)
    assert len(channel.got) == 11  # the failed one is the last sent
    rows = await box.attempts()
    assert [(row[0], row[1], row[3]) for row in rows] == (
        [(1, 1, event.id) for _, event in made[:10]] + [(1, 0, made[10][1].id)])
    assert rows[-1][4] == 1_800_000_001_000  # its retry's time: 1 s on
    assert (await box.target())[:2] == (made[9][0], 1_800_000_000_000)  # past the ten; failing since

    clock.advance(1.0)
    await eventually(lambda: len(channel.got) == 12 and clock.sleeping)
    clock.advance(2.0)
    await eventually(lambda: _cursor_is(box, made[-1][0]))
    ids = [event.id for event in channel.got]
    assert ids == [e.id for _, e in made[:10]] + [made[10][1].id] * 3 + [e.id for _, e in made[11:]]
    rows = await box.attempts()
    assert [row[0] for row in rows if row[3] == made[10][1].id] == [1, 2, 3]
    assert [row[3] for row in rows if row[1] == 1] == [event.id for _, event in made]  # each once, in order
    assert (await box.target())[1] is None  # the streak ended with the success


class Gate:
    """A channel that answers OK `open` times, then hangs until the test ends."""

    def __init__(self, open: int) -> None:
        self.open, self.got = open, []
        self.stuck = asyncio.Event()

    async def send(self, event):
        if len(self.got) >= self.open:
            self.stuck.set()
            await asyncio.Event().wait()
        self.got.append(event)
        return OK


async def test_a_consumer_stopped_mid_page_records_what_it_sent(box):
    channel = Gate(30)
    consumer = box.consumer(channel)
    made = await box.emit_many(BATCH)
    await asyncio.wait_for(channel.stuck.wait(), 10)
    assert await box.attempts() == []  # the page is not over: nothing saved yet
    await box.outbox.remove(consumer.name)
    rows = await box.attempts()
    assert [(row[0], row[1], row[3]) for row in rows] == [(1, 1, event.id) for _, event in made[:30]]
    assert (await box.target())[0] == made[29][0]  # a restart sends the 31st next


async def _cursor_is(box, seq: int) -> bool:
    return (await box.target())[0] == seq
