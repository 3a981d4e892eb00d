"""Outbox consumers: each reads the committed events (`events`, by seq) after
its own cursor, keeps those its filter takes, and hands them to its channel
one at a time, in order, until the channel's attempt succeeds (later events
wait behind a failing one).

Every attempt is one writer transaction: its row, the cursor moved past the
event (a success, or a failure the channel says is not worth retrying), the
failing streak, and, once the streak lasted the policy's `disable_after`, the
target disabled with an event. The consumer's state in memory changes only
after that commit, so a crash, a channel that raises or a transaction that
fails never leaves a cursor moved without its attempt, or an attempt without
its cursor. The next retry's time is in the attempt's row: a restart resumes
the wait and the count (at least once: receivers de-duplicate by event id).

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
BATCH = 100          # events read at a time


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
        self.cursor = 0
        self.failing_since: float | None = None
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.outbox: Outbox | None = None
        self._fresh = True  # the head event's attempts may be in the database (a restart, a failed save)

    async def run(self) -> None:
        """Deliver until cancelled, or until the target is disabled or gone."""
        box = self.outbox
        place = await box.read_db.call(self.ledger.load)
        if place is None:
            return
        self.cursor, since_ms = place
        self.failing_since = None if since_ms is None else since_ms / 1000
        while True:
            self.wake.clear()
            try:
                rows = await box.read_db.execute_fetchall(
                    "SELECT seq, id, type, created_at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                    (self.cursor, BATCH))
                for row in rows:
                    if self.filter(row[2]) and not await self._deliver(row[0], event_from_row(row[1:])):
                        return  # disabled
                    self.cursor = row[0]
                if rows:  # past events not for it (those sent moved it with their attempt)
                    box.writer.put(("outbox_cursor", self.name), *self.ledger.advance_statement(self.cursor))
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug or the disk: nothing half-saved; keep the task, try again
                log.exception("outbox.consumer_failed", consumer=self.name)
                self._fresh = True
            try:
                await asyncio.wait_for(self.wake.wait(), box.poll_interval)
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
                    await asyncio.sleep(min(left, backoff(self.policy, attempt, 1.0)))
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
            step = decide(self.policy, attempt, result.ok, result.retry, result.error, now,
                          self.failing_since, random.random())
            events = await box.writer.run(lambda conn: self._save(conn, seq, event, attempt, result, now, step))
            self.failing_since = step.failing_since  # committed: now memory may follow
            for recorded in events:
                box.bus.publish(recorded)
            if step.disable is not None:
                log.warning("outbox.disabled", consumer=self.name, reason=step.disable)
                return False
            if step.done:
                return True
            log.info("outbox.attempt_failed", consumer=self.name, event_id=event.id, attempt=attempt,
                     error=result.error, retry_in=round(step.next_at - now, 3))
            await asyncio.sleep(max(0.0, step.next_at - now))

    def _save(self, conn: sqlite3.Connection, seq: int, event: Event, attempt: int, result: Attempt,
              now: float, step: Step) -> list[Event]:
        """One transaction (on the database's thread): the attempt and all it changes."""
        ledger, now_ms = self.ledger, _ms(now)
        ledger.record(conn, event.id, event.type, attempt, now_ms, result, _ms(step.next_at))
        if step.done:
            ledger.advance(conn, seq)
        if step.failing_since != self.failing_since:
            ledger.set_failing(conn, _ms(step.failing_since))
        if step.disable is None or not ledger.disable(conn, step.disable, now_ms) or self.disabled_event is None:
            return []
        kind, obj = self.disabled_event(conn)
        return [self.outbox.bus.record(conn, kind, obj, now)]


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
        if consumer is not None:
            consumer.task.cancel()
            await asyncio.gather(consumer.task, return_exceptions=True)

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
            # the writer's own linger first: its batch commits as it would have (group commit kept)
            await asyncio.sleep(self.writer.linger)
            self._new.clear()
            try:
                await self.writer.flush()
            except Exception as exc:  # the writer will retry; the poll finds the rows later
                log.warning("outbox.flush_failed", error=str(exc))
            for consumer in list(self.consumers.values()):
                consumer.wake.set()
