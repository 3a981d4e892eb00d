"""Outbox consumers: each reads the committed events (`events`, by seq; an
alert channel reads its own queue of alerts: the ledger's `pending`) after
its own cursor, a page at a time, keeps those its filter takes, and hands
them to its channel one at a time, in order, until the channel's attempt
succeeds (later events wait behind a failing one).

Successes are saved a page at a time: the page's attempt rows and the cursor
moved past its last event are one writer transaction, submitted when the
page is sent and committed while the next page goes out (one save in flight
at most), so an event costs its POST and no database round trip. A failed
attempt is a sync point: the save in flight is waited for, then the failure
is one transaction with the successes sent before it: their rows and the
cursor up to them, its own row, the failing streak, the cursor past it when
it is given up and, once the streak lasted the policy's `disable_after`, the
target disabled with an event. The consumer's state in memory (its committed
cursor, the streak) changes only after the commit that holds it, so a crash,
a channel that raises or a transaction that fails never leaves a cursor
moved without its attempts, or an attempt without its cursor: what was sent
but not committed is sent again (at least once: receivers de-duplicate by
event id). A consumer stopped mid-page submits what it sent before it ends.
The next retry's time is in the attempt's row: a restart resumes the wait
and the count.

The pure decisions (filter, backoff, disable) are delivery/policy.py; where a
consumer keeps its place is a store.outbox.Ledger.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import structlog

from upstatd.clock import Clock
from upstatd.delivery.policy import Policy, Step, backoff, decide
from upstatd.events import Event, EventBus, event_from_row
from upstatd.store.outbox import Ledger

log = structlog.get_logger("upstatd.outbox")

POLL_INTERVAL = 1.0  # seconds between looks at the outbox without a wake-up
BATCH = 100          # events read at a time; the successes among them are saved together
# seconds an event waits for what comes with it before the flush that makes it readable (the
# writer's own linger is longer, for check rows nobody waits for; the flush cuts it short)
EVENT_LINGER = 0.05


class Attempt(NamedTuple):
    """One try at sending one event."""
    ok: bool
    status_code: int | None   # the receiver's answer, when it has one
    latency_ms: float
    error: str | None
    retry: bool = True        # for a failure: another try may succeed (False: the event is given up)


class Channel(Protocol):
    """Where a consumer's events go: send one event once and say how it went.
    A receiver's failure is an Attempt, not an exception (an exception counts
    as a failed attempt, retried)."""

    async def send(self, event: Event) -> Attempt: ...


# (conn) -> (type, data.object) of the event recorded when the target is disabled, in that transaction
DisabledEvent = Callable[[sqlite3.Connection], tuple[str, dict[str, Any]]]


class Sent(NamedTuple):
    """An attempt made, waiting to be saved."""
    seq: int
    event: Event
    attempt: int
    result: Attempt
    at: float                  # wall seconds
    step: Step | None = None   # a failure's decision (a success moves on, ends any streak)


class Save(NamedTuple):
    """One transaction's worth: the attempts in order and where the cursor goes."""
    sent: list[Sent]
    upto: int | None             # the cursor after it (None: it stays)
    failing_since: float | None  # the streak after it
    was_failing: float | None    # the streak as committed before it


class Consumer:
    def __init__(self, name: str, filter: Callable[[str], bool], channel: Channel, ledger: Ledger,
                 policy: Policy | None = None, disabled_event: DisabledEvent | None = None,
                 resume_waits: bool = False) -> None:
        self.name = name
        self.filter = filter              # event type -> wanted
        self.channel = channel
        self.ledger = ledger
        self.policy = policy or Policy()  # read at each decision: a shared one can change underway
        self.disabled_event = disabled_event
        self.resume_waits = resume_waits  # a restart honours the stored retry wait; an API change tries at once
        self.cursor = 0                   # committed: the last event seq done with
        self.position = 0                 # read up to here (ahead of the cursor by what is not saved yet)
        self.failing_since: float | None = None  # committed
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.outbox: Outbox | None = None
        self._fresh = True  # the head event's attempts may be in the database (a restart, a failed save)
        self._unsaved: list[Sent] = []    # successes sent, not submitted yet (this page's)
        self._saving: tuple[asyncio.Future, Save] | None = None  # the save in flight

    async def run(self) -> None:
        """Deliver until cancelled, or until the target is disabled or gone."""
        box = self.outbox
        place = await box.read_db.call(self.ledger.load)
        if place is None:
            return
        self.cursor, since_ms = place
        self.position = self.cursor
        self.failing_since = None if since_ms is None else since_ms / 1000
        try:
            await self._consume()
        finally:  # cancelled (a stop, a change) or disabled: what was sent is recorded
            left = [self._saving[0]] if self._saving is not None else []
            self._saving = None
            self._submit(self.position)
            if self._saving is not None:
                left.append(self._saving[0])
            for future in left:  # nobody waits for these now: an error is logged, not lost
                future.add_done_callback(_log_failed)

    async def _consume(self) -> None:
        box = self.outbox
        while True:
            self.wake.clear()
            try:
                rows = await box.read_db.execute_fetchall(*self.ledger.pending(self.position, BATCH))
                for row in rows:
                    if self.filter(row[2]) and not await self._deliver(row[0], event_from_row(row[1:])):
                        return  # disabled
                    self.position = row[0]
                if rows:  # the page's successes and the cursor past it (events not for it too)
                    await self._save_page()
                    continue
                await self._settle()  # caught up: the last page is committed before the wait
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug or the disk: nothing half-saved; keep the task, try again
                log.exception("outbox.consumer_failed", consumer=self.name)
                await self._rewind()
            try:  # asyncio.timeout, not wait_for: 3.11's wait_for can lose a cancel that meets a wake
                async with asyncio.timeout(box.poll_interval):
                    await self.wake.wait()
            except TimeoutError:
                pass

    async def _deliver(self, seq: int, event: Event) -> bool:
        """Send until done with the event (True) or the target is disabled (False)."""
        box = self.outbox
        attempt = 0
        if self._fresh:
            self._fresh = False
            attempt, next_ms = await box.read_db.call(self.ledger.last_attempt, event.id)
            if attempt and next_ms is not None and self.resume_waits:
                left = next_ms / 1000 - box.clock.time()
                if left > 0:  # never longer than a fresh wait would be (the wall clock moved back)
                    await box.clock.sleep(min(left, backoff(self.policy, attempt, 1.0)))
        while True:
            attempt += 1
            try:
                result = await self.channel.send(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("outbox.channel_failed", consumer=self.name, event_id=event.id)
                result = Attempt(False, None, 0.0, f"{type(exc).__name__}: {exc}")
            now = box.clock.time()
            if result.ok:  # saved with its page; the next event goes now
                self._unsaved.append(Sent(seq, event, attempt, result, now))
                return True
            # A failure: decided on the committed streak, which successes before it end.
            await self._settle()
            streak = None if self._unsaved else self.failing_since
            step = decide(self.policy, attempt, False, result.retry, result.error, now, streak,
                          random.random())
            sent, self._unsaved = self._unsaved + [Sent(seq, event, attempt, result, now, step)], []
            upto = seq if step.done else (self.position if self.position > self.cursor else None)
            save = Save(sent, upto, step.failing_since, self.failing_since)
            self._saving = (box.writer.submit(lambda conn: self._save(conn, save)), save)
            events = await self._settle()
            for recorded in events:
                box.bus.publish(recorded)
            if step.disable is not None:
                log.warning("outbox.disabled", consumer=self.name, reason=step.disable)
                return False
            if step.done:
                return True
            log.info("outbox.attempt_failed", consumer=self.name, event_id=event.id, attempt=attempt,
                     error=result.error, retry_in=round(step.next_at - now, 3))
            await box.clock.sleep(max(0.0, step.next_at - now))

    async def _save_page(self) -> None:
        """The page is sent: submit its successes and the cursor past it, once the save before
        it committed (one in flight); nothing to record is a cursor move on the writer's queue."""
        await self._settle()
        if self._unsaved:
            self._submit(self.position)
        elif self.position > self.cursor:
            self.outbox.writer.put(("outbox_cursor", self.name), *self.ledger.advance_statement(self.position))
            self.cursor = self.position  # nothing hangs on it: no attempt goes with it

    def _submit(self, upto: int) -> None:
        """Queue the successes sent and the cursor at `upto` as one writer job (not waited for)."""
        if not self._unsaved:
            return
        sent, self._unsaved = self._unsaved, []
        save = Save(sent, upto, None, self.failing_since)
        self._saving = (self.outbox.writer.submit(lambda conn: self._save(conn, save)), save)

    async def _settle(self) -> list[Event]:
        """Wait for the save in flight; once it committed, memory follows (its error is raised).
        Shielded: a consumer stopped meanwhile leaves its save to run (a cancelled job would not)."""
        if self._saving is None:
            return []
        future, save = self._saving
        try:
            events = await asyncio.shield(future)
        finally:
            if future.done():
                self._saving = None  # else: still in flight, for run()'s end to look after
        self._committed(save)
        return events

    def _committed(self, save: Save) -> None:
        if save.upto is not None:
            self.cursor = max(self.cursor, save.upto)
        self.failing_since = save.failing_since

    async def _rewind(self) -> None:
        """After an error: keep what committed, send again what did not (from the committed cursor)."""
        try:
            await self._settle()
        except Exception:
            pass  # logged by whoever raised first; those events are sent again
        self._unsaved = []
        self.position = self.cursor
        self._fresh = True

    def _save(self, conn: sqlite3.Connection, save: Save) -> list[Event]:
        """One transaction (on the database's thread): the attempts and all they change."""
        ledger = self.ledger
        disable = None
        for sent in save.sent:
            step = sent.step
            ledger.record(conn, sent.event.id, sent.event.type, sent.attempt, _ms(sent.at), sent.result,
                          None if step is None else _ms(step.next_at))
            if step is not None and step.disable is not None:
                disable = (step.disable, sent.at)
        if save.upto is not None:
            ledger.advance(conn, save.upto)
        if save.failing_since != save.was_failing:
            ledger.set_failing(conn, _ms(save.failing_since))
        if disable is None or not ledger.disable(conn, disable[0], _ms(disable[1])) or self.disabled_event is None:
            return []
        kind, obj = self.disabled_event(conn)
        return [self.outbox.bus.record(conn, kind, obj, disable[1])]


def _log_failed(future: asyncio.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("outbox.save_failed", error=str(future.exception()))


def _ms(at: float | None) -> int | None:
    return None if at is None else round(at * 1000)


class Outbox:
    """The running consumers, woken once new events are committed (and every
    `poll_interval` besides). A slow channel holds up only its own consumer."""

    def __init__(self, clock: Clock, writer: Any, read_db: Any, bus: EventBus) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db
        self.bus = bus
        self.poll_interval = POLL_INTERVAL
        self.consumers: dict[str, Consumer] = {}
        self._new = asyncio.Event()
        self._notifier: asyncio.Task | None = None
        bus.subscribe(self._on_event)

    def start(self) -> None:
        self._notifier = asyncio.create_task(self._notify(), name="outbox-notify")

    def add(self, consumer: Consumer) -> Consumer:
        consumer.outbox = self
        consumer.task = asyncio.create_task(consumer.run(), name=f"outbox-{consumer.name}")
        consumer.task.add_done_callback(lambda _: self._finished(consumer))
        self.consumers[consumer.name] = consumer
        return consumer

    async def remove(self, name: str) -> None:
        consumer = self.consumers.pop(name, None)
        if consumer is None:
            return
        while not consumer.task.done():  # again if a cancel was lost on the way (it must not outlive this)
            consumer.task.cancel()
            await asyncio.wait({consumer.task}, timeout=1.0)

    async def stop(self) -> None:
        """Stop every consumer; what is not delivered stays in the outbox for the next start."""
        if self._notifier is not None:
            self._notifier.cancel()
            await asyncio.gather(self._notifier, return_exceptions=True)
            self._notifier = None
        for name in list(self.consumers):
            await self.remove(name)

    def _finished(self, consumer: Consumer) -> None:
        """A consumer that ended by itself (disabled) leaves the running set."""
        if self.consumers.get(consumer.name) is consumer:
            del self.consumers[consumer.name]
        if not consumer.task.cancelled() and consumer.task.exception() is not None:
            log.error("outbox.consumer_died", consumer=consumer.name, error=repr(consumer.task.exception()))

    def poke(self) -> None:
        """Rows were queued without an event (reminders): wake the consumers once they commit."""
        self._new.set()

    def _on_event(self, event: Event) -> None:
        if self.consumers:  # nobody to wake: not even the notifier (every flip on the ping path comes here)
            self._new.set()

    async def _notify(self) -> None:
        """Wake the consumers once what came with the event is committed (readable)."""
        while True:
            await self._new.wait()
            if not self.consumers:  # nobody to wake: no flush either (the ping path's commits stay as they are)
                self._new.clear()
                continue
            # a short linger first: a burst of events commits together (group commit kept)
            await asyncio.sleep(EVENT_LINGER)
            self._new.clear()
            try:
                await self.writer.flush()
            except Exception as exc:  # the writer will retry; the poll finds the rows later
                log.warning("outbox.flush_failed", error=str(exc))
            for consumer in list(self.consumers.values()):
                consumer.wake.set()
