"""Events: every change becomes a row of `events` (`evt_…`), written in the
same transaction as the change. The row holds the public shape (what
`/api/events` and webhooks show); commands return the typed domain events
below, which is what other modules read (never the public JSON).

Two ways in, one per way of writing:
- `EventBus.emit(type, obj, at)` from code that queues statements on the
  writer (probe results, heartbeat flips): the event row is queued right after
  the change, synchronously, so both land in the same batch, the same commit.
- `EventBus.record(conn, type, obj, at)` inside a `writer.run` job (API
  changes), then `bus.publish(event)` once the job committed.

The events table is the outbox: webhook delivery reads it by `seq`, so an
event that was committed is never lost across a crash. Listeners are only
told that events exist (to wake up and read the table); none of them writes.
Recorders (`add_recorder`) are the one exception, on purpose: what an event
causes that must be durable with it (the alerts of an incident event) is
written by them in the event's own commit, beside its row.
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
    "webhook_endpoint.disabled",
    "maintenance.scheduled", "maintenance.started", "maintenance.ended",
    "status_page.created", "status_page.updated", "status_page.deleted",
    "status_report.created", "status_report.updated", "status_report.deleted",
    "person.created", "person.updated", "person.deleted",
    "on_call_schedule.created", "on_call_schedule.updated", "on_call_schedule.deleted",
    "on_call.changed",
    "escalation_policy.created", "escalation_policy.updated", "escalation_policy.deleted",
    "service.created", "service.updated", "service.deleted",
    "runbook.created", "runbook.updated", "runbook.deleted",
    "mcp.tool_called",
    "agent.created", "agent.deleted", "agent.up", "agent.down",
    "ping",
)
RESERVED: tuple[str, ...] = ()  # named for a feature to come, not emitted yet
TEST = "ping"                       # sent only by POST /api/webhook-endpoints/{id}/test, never stored
EMITTED = tuple(kind for kind in TYPES if kind not in RESERVED and kind != TEST)
RETENTION_DAYS = 30  # pruned by store/retention.py, never one an enabled webhook endpoint still needs
INSERT_EVENT = "INSERT INTO events (id, type, created_at, data) VALUES (?, ?, ?, ?)"
_encoder = msgspec.json.Encoder()


# -- typed domain events ------------------------------------------------------------

class Subject(msgspec.Struct, frozen=True):
    """What a state change happened to: a monitor, a heartbeat or an agent."""
    kind: str          # "monitor" | "heartbeat" | "agent"
    id: str            # mon_… / hbt_… / agt_…
    name: str
    severity: str      # as configured


class StateChanged(msgspec.Struct, frozen=True):
    subject: Subject
    from_state: str
    to_state: str
    at: float                      # wall seconds
    reason: str | None = None      # heartbeats: ping, fail, deadline, missed, overrun, resumed
    error_kind: str | None = None  # monitors: the check's error kind (probes/result.py)
    error_message: str | None = None
    regions: tuple[str, ...] = ()  # monitors probed from several regions: those that saw it

    @property
    def type(self) -> str:
        return f"{self.subject.kind}.{self.to_state}"


class ResourceChanged(msgspec.Struct, frozen=True):
    resource: str      # monitor, heartbeat, webhook_endpoint, token
    action: str        # created, updated, paused, unpaused, deleted, disabled
    id: str
    at: float
    reason: str | None = None

    @property
    def type(self) -> str:
        return f"{self.resource}.{self.action}"


class IncidentChanged(msgspec.Struct, frozen=True):
    type: str          # incident.created, .acknowledged, .resolved, .reopened, .closed, .updated, .commented
    incident_id: str
    status: str
    at: float


DomainEvent = StateChanged | ResourceChanged | IncidentChanged


# -- the outbox rows -----------------------------------------------------------------------

class Event(NamedTuple):
    id: str
    type: str
    created: float          # Unix seconds
    object: Any             # data.object: the public shape of what changed (its serializer's Struct, or
                            # as decoded from the outbox, a dict)
    extra: dict[str, Any] | None = None  # more of data: previous_attributes, the check, a reason

    def as_json(self) -> dict:
        """The public shape (API, webhook body)."""
        return {"id": self.id, "object": "event", "type": self.type, "created": int(self.created),
                "data": self.data()}

    def data(self) -> dict[str, Any]:
        return {"object": self.object, **(self.extra or {})}


def _row(event: Event) -> tuple:
    return (event.id, event.type, round(event.created * 1000), _encoder.encode(event.data()).decode())


# (event, execute): statements that go with the event, through `execute` (the writer's queue on the
# probe path, the caller's transaction on the API path): one commit with it.
Recorder = Callable[[Event, Callable[[str, tuple], Any]], None]


class EventBus:
    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.listeners: list[Callable[[Event], None]] = []
        self.recorders: list[Recorder] = []

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self.listeners.append(listener)

    def add_recorder(self, recorder: Recorder) -> None:
        self.recorders.append(recorder)

    def _recorded(self, event: Event, execute: Callable[[str, tuple], Any]) -> None:
        for recorder in self.recorders:
            try:
                recorder(event, execute)
            except Exception:  # a recorder's bug must not undo the change that made the event
                log.exception("events.recorder_failed", event_type=event.type, recorder=repr(recorder))

    def emit(self, type: str, obj: dict[str, Any], at: float, extra: dict[str, Any] | None = None) -> Event:
        """Queue the event with what the caller just queued (the same commit), then
        tell the listeners."""
        event = Event(new_id("evt"), type, at, obj, extra)
        self.writer.add(INSERT_EVENT, _row(event))
        self._recorded(event, self.writer.add)
        self.publish(event)
        return event

    def record(self, conn: Any, type: str, obj: dict[str, Any], at: float,
               extra: dict[str, Any] | None = None) -> Event:
        """Insert the event inside the caller's transaction; publish it after the commit."""
        event = Event(new_id("evt"), type, at, obj, extra)
        conn.execute(INSERT_EVENT, _row(event))
        self._recorded(event, conn.execute)
        return event

    def publish(self, event: Event) -> None:
        """Tell the listeners an event exists. They only wake up (to read the outbox):
        none writes, so a failing one cannot leave half of anything queued."""
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # one listener's bug must not keep the others asleep
                log.exception("events.listener_failed", event_type=event.type, listener=repr(listener))


def event_from_row(row: Any) -> Event:
    """(id, type, created_at ms, data JSON) -> Event."""
    event_id, type, created_ms, data = row[0], row[1], row[2], row[3]
    data = msgspec.json.decode(data)
    obj = data.pop("object")
    return Event(event_id, type, created_ms / 1000, obj, data or None)

