"""Incidents escalate: the runtime of oncall/escalation.py (the pure core).

- Start: an incident opening or reopening starts its escalation row in the
  event's own commit (a recorder, like the alert router): the subject's
  `escalation_policy`, else the default policy; none, no row (nor for one caused
  by another incident or held: root-cause grouping; it starts when released). Acknowledge,
  resolve and close stop it in theirs (next_at NULL), so a stored row never
  outlives what stopped it.
- Timers: `escalation.step` on the scheduler's wheel, keyed by incident id,
  armed after the commit at the row's next_at; at start every row with a
  next_at is armed again (one due while stopped fires once, the core decides).
- Firing, in one writer job: the core's due steps -> who they reach
  (schedules now, people's contact channels, channel targets) -> an
  `incident.escalated` event per step (its recording queues the alerts, reason
  escalated, to exactly those channels: alerts/router.py), a timeline entry,
  and the row's fired/next_at saved.
- Escalate now (POST /api/incidents/{id}/escalate): a request stored and the
  firing run at once; `NothingToEscalate` when the core says there is no step.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any, NamedTuple

import structlog

from upstatd.clock import Clock
from upstatd.errors import Conflict, NotFound
from upstatd.events import Event, EventBus
from upstatd.incidents import public as incident_public
from upstatd.oncall.escalation import Due, Fired, Policy, can_escalate, escalate, recipients
from upstatd.store import escalations as store
from upstatd.store import incidents as incident_store
from upstatd.store import on_call
from upstatd.store.incidents import Incident

log = structlog.get_logger("upstatd.oncall")

OPENING = ("incident.created", "incident.reopened")
STOPPING = ("incident.acknowledged", "incident.resolved", "incident.closed")
AUTHOR = "system"
RETRY_AFTER = 60.0   # s: a firing job that failed (the disk) is tried again then


class Fire(NamedTuple):
    """What one firing job did: the incident, the events to publish, when the next step is due."""
    incident: Incident | None
    events: list[Event]
    next_at: float | None


def timeline_message(due: Due, policy: Policy, people: list[dict], channels: list[str]) -> str:
    """'Escalated (step 2 of 3, round 1): paged Anna Berzina, Bob' (1-based, as a person counts)."""
    where = f"step {due.step + 1} of {len(policy.steps)}, round {due.round + 1}"
    if policy.repeat:
        where += f" of {policy.repeat + 1}"
    if due.requested:
        where += ", escalated now on request"
    reached = [person["name"] for person in people] + [f"channel {channel}" for channel in channels]
    if not reached:
        return f"Escalated ({where}): nobody to page (no one on call, or no contact method)"
    return f"Escalated ({where}): paged {', '.join(reached)}"


class EscalationService:
    def __init__(self, clock: Clock, writer: Any, read_db: Any, bus: EventBus, runner: Any) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db
        self.bus = bus
        self.timers = runner.timers("escalation.step", self._on_timer)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        bus.add_recorder(self.record)
        bus.subscribe(self._on_event)

    async def start(self) -> None:
        """Arm a timer for every escalation still running (a step due while stopped: at once)."""
        self._loop = asyncio.get_running_loop()
        await self.writer.flush()  # incidents opened before now (heartbeat catch-up): their rows committed
        running = await self.read_db.call(store.pending)
        for incident_id, next_at in running:
            self._schedule(incident_id, next_at)
        log.info("escalations.started", running=len(running))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- in the incident event's commit (a recorder) ------------------------------------------

    def record(self, event: Event, execute: Any) -> None:
        if _starts(event):
            incident = event.object if isinstance(event.object, dict) else {}
            for sql, params in store.start_statements(incident["id"], _subject(incident), event.created):
                execute(sql, params)
        elif event.type in STOPPING:
            execute(*store.stop_statement(_incident_id(event)))

    # -- after the commit (a listener: arm or cancel the timer) ------------------------------------

    def _on_event(self, event: Event) -> None:
        if self._loop is None:
            return
        if _starts(event):
            self._spawn(self._arm(_incident_id(event)))
        elif event.type in STOPPING:
            self.timers.cancel(_incident_id(event))

    async def _arm(self, incident_id: str) -> None:
        await self.writer.flush()  # the probe path queued the row with the event: committed now
        row = await self.read_db.call(store.get, incident_id)
        self._schedule(incident_id, None if row is None else row.next_at)

    def _spawn(self, job: Any) -> None:
        task = self._loop.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule(self, incident_id: str, due: float | None) -> None:
        if due is None:
            self.timers.cancel(incident_id)
            return
        self.timers.schedule(incident_id, self.clock.monotonic() + max(0.0, due - self.clock.time()))

    def _on_timer(self, incident_id: str, when: float, now: float) -> None:
        self._spawn(self.fire(incident_id))

    # -- firing ------------------------------------------------------------------------------

    async def fire(self, incident_id: str, requested_by: str | None = None) -> Incident | None:
        """Fire what is due now (`requested_by`: an escalate-now request first, by them); returns the
        incident. A timer's job that fails (the disk) is logged and tried again RETRY_AFTER later."""
        try:
            done: Fire = await self.writer.run(lambda conn: self._fire(conn, incident_id, requested_by))
        except Exception:
            if requested_by is not None:
                raise
            log.exception("escalations.fire_failed", incident=incident_id, retry_in=RETRY_AFTER)
            self._schedule(incident_id, self.clock.time() + RETRY_AFTER)
            return None
        for event in done.events:
            self.bus.publish(event)
        self._schedule(incident_id, done.next_at)
        return done.incident

    def _fire(self, conn: sqlite3.Connection, incident_id: str, requested_by: str | None) -> Fire:
        requested = requested_by is not None
        incident = incident_store.get(conn, incident_id)
        if incident is None:
            if requested:
                raise NotFound(f"no incident with id '{incident_id}'")
            return Fire(None, [], None)
        row = store.get(conn, incident_id)
        policy = None if row is None else on_call.policies(conn).get(row.policy_id)
        now = self.clock.time()
        if requested:
            if row is None or policy is None:
                raise Conflict(f"incident {incident_id} has no escalation policy (set a monitor's or heartbeat's "
                               "escalation_policy, or make one the default)", "nothing_to_escalate")
            if not can_escalate(policy, incident.status, row.fired):
                why = (f"it is {incident.status}" if incident.status != "open"
                       else "every step of its policy has fired")
                raise Conflict(f"nothing to escalate: {why}", "nothing_to_escalate")
            row = row._replace(requests=[*row.requests, now])
        if row is None:
            return Fire(incident, [], None)
        if policy is None:  # deleted since the incident opened
            store.save(conn, row._replace(next_at=None))
            return Fire(incident, [], None)
        result = escalate(policy, row.started_at, incident.status, row.fired, row.requests, now)
        events, fired = [], list(row.fired)
        schedules = on_call.schedules(conn) if result.due else {}
        for due in result.due:
            author = requested_by if due.requested and requested_by else AUTHOR
            events.append(self._page(conn, incident, policy, due, schedules, now, author))
            fired.append(Fired(due.round, due.step, now))
        requests = [] if result.due else row.requests
        store.save(conn, row._replace(fired=fired, requests=requests, next_at=result.next_at))
        return Fire(incident, events, result.next_at)

    def _page(self, conn: sqlite3.Connection, incident: Incident, policy: Policy, due: Due,
              schedules: dict, now: float, author: str) -> Event:
        reached = recipients(due.targets, schedules, now)
        contacts = on_call.contact_channels(conn, reached.users)
        named = on_call.names(conn, reached.users)
        people = [{"id": user, "name": named.get(user, user)} for user in reached.users]
        channels = list(dict.fromkeys([*(channel for user in reached.users for channel in contacts.get(user, ())),
                                       *reached.channels]))
        message = timeline_message(due, policy, people, reached.channels)
        at_ms = round(now * 1000)
        conn.execute(*incident_store.update_statement(incident.id, at_ms, "escalated", incident.status, message,
                                                      author))
        extra = {"round": due.round + 1, "step": due.step + 1, "steps": len(policy.steps),
                 "requested": due.requested,
                 "targets": [{"type": target.type, "id": target.id} for target in due.targets],
                 "people": people, "channel_ids": channels}
        log.info("incident.escalated", incident=incident.id, round=due.round + 1, step=due.step + 1,
                 people=len(people), channels=len(channels))
        return self.bus.record(conn, "incident.escalated", incident_public.as_json(incident), now, extra)


def _starts(event: Event) -> bool:
    """An opening that escalates: not one caused by another incident or held (root-cause grouping,
    catalog/grouping.py), whose escalation starts when it is released (`incident.updated`, reason released)."""
    if event.type == "incident.updated":
        return (event.extra or {}).get("reason") == "released"
    if event.type not in OPENING:
        return False
    incident = event.object if isinstance(event.object, dict) else {}
    return incident.get("caused_by") is None and incident.get("held_until") is None


def _incident_id(event: Event) -> str:
    obj = event.object
    return obj["id"] if isinstance(obj, dict) else obj.id


def _subject(incident: dict) -> str | None:
    """A system incident's subject (the one monitor or heartbeat it affects); a manual one has none
    and so takes the default policy."""
    affected = incident.get("affected_monitor_ids") or ()
    if incident.get("source") == "system" and len(affected) == 1:
        return affected[0]
    return None
