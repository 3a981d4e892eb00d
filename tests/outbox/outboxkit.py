"""An outbox consumer on a real SQLite file: the migrated store (tests/conftest.py
`store`), a read-only connection, an EventBus, and one target row (a webhook
endpoint row: the tables every consumer kind copies), with a scripted channel.

    box = await Box.open(store)
    consumer = box.consumer(Script([Attempt(False, 500, 1.0, "HTTP 500"), OK]))
    event = await box.emit("monitor.down")
    await eventually(lambda: box.attempts())
"""

from __future__ import annotations

import asyncio
from typing import Any

from loopback import eventually  # noqa: F401  (the kit's users import it from here)
from upstatd.clock import FakeClock
from upstatd.delivery.outbox import Attempt, Consumer, Outbox
from upstatd.delivery.policy import Policy
from upstatd.events import Event, EventBus
from upstatd.store import db
from upstatd.store import webhooks as endpoints

OK = Attempt(True, 200, 1.0, None)
FAST = Policy(backoff_base=0.01, backoff_max=0.02, jitter=0.0, disable_after=None)


class JumpingClock(FakeClock):
    """A FakeClock whose sleep moves it on at once by the time asked: the consumer's
    backoff waits pass in no real time, and the stored times are as if they had."""

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


class Script:
    """A Channel answering from a list (an Attempt, or an exception to raise), then OK."""

    def __init__(self, answers: list[Attempt | Exception] | None = None) -> None:
        self.answers = list(answers or [])
        self.got: list[Event] = []

    async def send(self, event: Event) -> Attempt:
        self.got.append(event)
        answer = self.answers.pop(0) if self.answers else OK
        if isinstance(answer, Exception):
            raise answer
        return answer


class Box:
    def __init__(self, database: Any, writer: Any, read_db: Any, seq: int) -> None:
        self.database, self.writer, self.read_db, self.seq = database, writer, read_db, seq
        self.clock = JumpingClock(wall=1_800_000_000)
        self.bus = EventBus(writer)
        self.outbox = Outbox(self.clock, writer, read_db, self.bus)
        self.outbox.poll_interval = 0.05
        self.outbox.start()

    @classmethod
    async def open(cls, store: tuple) -> Box:
        database, writer, path = store
        read_db = await db.Database.open(path, readonly=True)
        row = await writer.run(lambda conn: endpoints.insert(
            conn, "we_target", "http://127.0.0.1:9/unused", ["*"], "s" * 16, True, None, {}, 0))
        return cls(database, writer, read_db, row.seq)

    async def close(self) -> None:
        await self.outbox.stop()
        await self.read_db.close()

    def consumer(self, channel: Any, policy: Policy = FAST, ledger: Any = None, **options: Any) -> Consumer:
        return self.outbox.add(Consumer("test", lambda kind: kind.startswith("monitor."), channel,
                                        ledger or endpoints.ledger(self.seq), policy, **options))

    async def emit(self, kind: str = "monitor.down") -> tuple[int, Event]:
        """An event committed the way API changes commit theirs; (its seq, it)."""
        def record(conn: Any) -> tuple[int, Event]:
            event = self.bus.record(conn, kind, {"kind": kind}, self.clock.time())
            return conn.execute("SELECT seq FROM events WHERE id = ?", (event.id,)).fetchone()[0], event
        seq, event = await self.writer.run(record)
        self.bus.publish(event)
        return seq, event

    async def emit_many(self, count: int, kind: str = "monitor.down") -> list[tuple[int, Event]]:
        """`count` events committed in one transaction; [(seq, event), ...] in order."""
        def record(conn: Any) -> list[tuple[int, Event]]:
            out = []
            for n in range(count):
                event = self.bus.record(conn, kind, {"kind": kind, "n": n}, self.clock.time())
                out.append((conn.execute("SELECT seq FROM events WHERE id = ?", (event.id,)).fetchone()[0], event))
            return out
        made = await self.writer.run(record)
        for _, event in made:
            self.bus.publish(event)
        return made

    async def attempts(self) -> list[tuple]:
        """(attempt, ok, error, event_id, next_attempt_at) of the target, oldest first."""
        await self.writer.flush()
        return [tuple(row) for row in await self.read_db.execute_fetchall(
            "SELECT attempt, ok, error, event_id, next_attempt_at FROM webhook_deliveries ORDER BY seq")]

    async def target(self) -> tuple:
        """(cursor, failing_since, enabled, disabled_reason) as committed."""
        await self.writer.flush()
        return tuple((await self.read_db.execute_fetchall(
            "SELECT cursor, failing_since, enabled, disabled_reason FROM webhook_endpoints WHERE seq = ?",
            (self.seq,)))[0])

    async def events(self, kind: str) -> list[str]:
        return [row[0] for row in await self.read_db.execute_fetchall(
            "SELECT id FROM events WHERE type = ? ORDER BY seq", (kind,))]
