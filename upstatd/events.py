"""Events: every state change becomes a row of `events` (`evt_…`), written in
the same transaction as the change, and is handed to the in-process
listeners (incidents, webhook delivery).

Two ways in, one per way of writing:
- `EventBus.emit(type, obj, at)` from code that queues statements on the
  writer (probe results, heartbeat flips): the event row is queued right after
  the change, synchronously, so both land in the same batch, the same commit.
- `EventBus.record(conn, type, obj, at)` inside a `writer.run` job (API
  changes), then `bus.publish(event)` once the job committed.

The events table is the outbox: webhook delivery reads it by `seq`, so an
event that was committed is never lost across a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec
import structlog

from upstatd.ids import new_id

log = structlog.get_logger("upstatd.events")

TYPES = (
    "monitor.created", "monitor.updated", "monitor.paused", "monitor.unpaused", "monitor.deleted",
    "monitor.up", "monitor.down", "monitor.degraded",
    "heartbeat.up", "heartbeat.late", "heartbeat.down", "heartbeat.new", "heartbeat.deleted",
    "incident.created", "incident.acknowledged", "incident.resolved", "incident.reopened",
    "incident.closed", "incident.commented", "incident.updated", "incident.escalated",
    "webhook_endpoint.disabled", "ping",
)
RESERVED = ("incident.escalated",)  # named for escalation policies, not emitted yet
TEST = "ping"                       # sent only by POST /api/webhook-endpoints/{id}/test, never stored
EMITTED = tuple(kind for kind in TYPES if kind not in RESERVED and kind != TEST)
RETENTION_DAYS = 30
INSERT_EVENT = "INSERT INTO events (id, type, created_at, data) VALUES (?, ?, ?, ?)"
_encoder = msgspec.json.Encoder()


class Event(NamedTuple):
    id: str
    type: str
    created: float          # Unix seconds
    object: dict[str, Any]  # data.object: a snapshot of what changed

    def as_json(self) -> dict:
        """The public shape (API, webhook body)."""
        return {"id": self.id, "object": "event", "type": self.type, "created": int(self.created),
                "data": {"object": self.object}}


def _row(event: Event) -> tuple:
    return (event.id, event.type, round(event.created * 1000), _encoder.encode({"object": event.object}).decode())


class EventBus:
    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.listeners: list[Callable[[Event], None]] = []

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self.listeners.append(listener)

    def emit(self, type: str, obj: dict[str, Any], at: float) -> Event:
        """Queue the event with what the caller just queued, then tell the listeners
        (what they queue in turn lands in the same commit)."""
        event = Event(new_id("evt"), type, at, obj)
        self.writer.add(INSERT_EVENT, _row(event))
        self.publish(event)
        return event

    def record(self, conn: Any, type: str, obj: dict[str, Any], at: float) -> Event:
        """Insert the event inside the caller's transaction; publish it after the commit."""
        event = Event(new_id("evt"), type, at, obj)
        conn.execute(INSERT_EVENT, _row(event))
        return event

    def publish(self, event: Event) -> None:
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # one listener's bug must not lose the event for the others
                log.exception("events.listener_failed", event_type=event.type, listener=repr(listener))


def event_from_row(row: Any) -> Event:
    """(id, type, created_at ms, data JSON) -> Event."""
    event_id, type, created_ms, data = row[0], row[1], row[2], row[3]
    return Event(event_id, type, created_ms / 1000, msgspec.json.decode(data)["object"])


def prune(conn: Any, now_ms: int, days: int = RETENTION_DAYS) -> int:
    """Delete events older than `days` (inside the caller's transaction)."""
    cursor = conn.execute("DELETE FROM events WHERE created_at < ?", (now_ms - days * 86_400_000,))
    return cursor.rowcount
