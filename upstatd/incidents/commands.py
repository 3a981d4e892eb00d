"""Incident use cases over the API: open by hand, change (PATCH/PUT), move
through the lifecycle (acknowledge, resolve, reopen, close, or a target
status), and comment. The probe path's changes are the IncidentService's
(`on_state_change`), decided by the pure policy inside the state change's command.

One order for every change of an incident the probe path may also change (a
subject's latest, kept in memory): such changes go through the writer's queue
like the probe path's and are flushed before the answer. Others (manual ones,
older system ones) run in a writer job that reads the row first.

`closed` is terminal: a change, a move or a comment answers 409 naming it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec

from upstatd import metadata
from upstatd.clock import Clock
from upstatd.commands import Commands
from upstatd.errors import Conflict, Invalid, NotFound
from upstatd.events import Event, EventBus
from upstatd.ids import new_id
from upstatd.incidents import lifecycle, public
from upstatd.incidents.lifecycle import SEVERITIES, STATUSES, Refused
from upstatd.incidents.policy import ACTIVE
from upstatd.incidents.public import MAX_AFFECTED, TYPES, UNSET
from upstatd.incidents.service import IncidentService
from upstatd.monitors.public import check_object
from upstatd.store import checks
from upstatd.store import heartbeats as heartbeat_store
from upstatd.store import incidents as store
from upstatd.store import monitors as monitor_store
from upstatd.store.db import Database
from upstatd.store.incidents import Incident
from upstatd.store.writer import Writer

KINDS = {"acknowledge": "acknowledged", "resolve": "resolved", "reopen": "reopened", "close": "closed"}


def choice(value: str | None, options: tuple, param: str) -> None:
    if value is not None and value not in options:
        raise Invalid(f"{param} must be one of {', '.join(options)}, got '{value}'", param)


def refused(exc: Refused, param: str | None = None) -> Conflict:
    allowed = ", ".join(exc.allowed) if exc.allowed else "none: closed is final"
    return Conflict(f"the incident is {exc.current}; it cannot become {exc.wanted} from there "
                    f"(allowed: {allowed})", "incident_transition_invalid", param, tuple(exc.allowed))


def not_closed(incident: Incident, verb: str) -> None:
    if incident.status == "closed":
        raise Conflict(f"the incident is closed, which is final: it cannot be {verb}; open a new incident "
                       f"instead", "incident_closed", "status")


def known_subjects(conn: sqlite3.Connection, ids: list[str]) -> None:
    if len(ids) > MAX_AFFECTED:
        raise Invalid(f"affected_monitor_ids can hold at most {MAX_AFFECTED} ids, got {len(ids)}",
                      "affected_monitor_ids")
    for index, subject in enumerate(ids):
        param = f"affected_monitor_ids.{index}"
        if subject.startswith("mon_"):
            found = monitor_store.get(conn, subject)
        elif subject.startswith("hbt_"):
            found = heartbeat_store.get(conn, subject)
        else:
            raise Invalid(f"'{subject[:60]}' is not a monitor or heartbeat id (mon_… or hbt_…)", param)
        if found is None:
            raise Invalid(f"no monitor or heartbeat with id '{subject[:60]}'", param)


def on_loop(loop: asyncio.AbstractEventLoop, fn: Callable[[], Any]) -> Any:
    """From the database's thread: run fn on the loop and wait for its result
    (the incident memory is the loop's: the probe path changes it)."""
    done: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            done.set_result(fn())
        except BaseException as exc:
            done.set_exception(exc)

    loop.call_soon_threadsafe(run)
    return done.result()


def moved(incident: Incident, action: str, now: int, author: str) -> Incident:
    status = lifecycle.ACTIONS[action]
    if action == "acknowledge":
        return incident.replace(status=status, acknowledged_at=now, acknowledged_by=author, updated_at=now)
    if action == "resolve":
        return incident.replace(status=status, resolved_at=now, updated_at=now)
    if action == "reopen":
        return incident.replace(status=status, resolved_at=None, updated_at=now)
    return incident.replace(status=status, closed_at=now, updated_at=now)


def _lead(monitor: Any) -> int:
    """The failed checks that confirmed the failure came before the incident
    opened: look back over the confirmation (failures x (interval + timeout))."""
    confirmation = monitor.spec.get("confirmation") or {}
    failures = int(confirmation.get("failures", 1) or 1)
    return failures * (monitor.interval_ms + monitor.timeout_ms)


class IncidentCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, service: IncidentService,
                 bus: EventBus, escalations: Any = None, own_region: str | None = "local") -> None:
        super().__init__(clock, writer, read_db)
        self.service = service
        self.bus = bus
        self.escalations = escalations  # oncall.escalations.EscalationService
        self.own_region = own_region    # server.region: the region of checks that name none

    async def escalate(self, incident_id: str, author: str) -> Incident:
        """Escalate now: the next step of its policy fires at once (409 nothing_to_escalate when
        there is none: not open, no policy, every step fired)."""
        await self.get(incident_id)  # a 404 before anything
        if self.escalations is None:
            raise Conflict("escalation is not running", "nothing_to_escalate")
        await self.escalations.fire(incident_id, requested_by=author)
        return await self.get(incident_id)

    async def get(self, incident_id: str) -> Incident:
        incident = await self.read_db.call(store.get, incident_id)
        if incident is None:
            raise NotFound(f"no incident with id '{incident_id}'")
        tracked = self.service.by_subject.get(incident.subject_id or "")
        if tracked is not None and tracked.id == incident.id:
            return tracked  # a change queued a moment ago, not committed yet
        return incident

    async def affected_checks(self, incident_id: str) -> public.AffectedChecks:
        """Its monitors and heartbeats as they are now, with each monitor's checks that failed during it."""
        incident = await self.get(incident_id)
        until = incident.resolved_at if incident.resolved_at is not None else self._now_ms()

        def read(conn: sqlite3.Connection) -> list[public.AffectedCheck]:
            data = []
            for subject in incident.affected:
                if subject.startswith("hbt_"):
                    beat = heartbeat_store.get(conn, subject)
                    data.append(public.AffectedCheck("affected_check", subject, "heartbeat", beat and beat.name,
                                                     beat and beat.current_state, []))
                    continue
                monitor = monitor_store.get(conn, subject)
                if monitor is None:
                    data.append(public.AffectedCheck("affected_check", subject, "monitor", None, None, []))
                    continue
                rows = checks.failed_between(conn, monitor.seq, incident.started_at - _lead(monitor), until,
                                             public.FAILED_CHECKS)
                data.append(public.AffectedCheck("affected_check", subject, "monitor", monitor.name,
                                                 monitor.current_state, [check_object(row, subject, self.own_region) for row in rows]))
            return data

        return public.AffectedChecks("list", await self.read_db.call(read),
                                     f"/api/incidents/{incident.id}/affected-checks")

    async def create(self, body: public.IncidentCreate, author: str) -> Incident:
        """A manual incident: open, source manual."""
        choice(body.severity, SEVERITIES, "severity")
        choice(body.type, TYPES, "type")
        affected = list(dict.fromkeys(body.affected_monitor_ids))
        await self.read_db.call(known_subjects, affected)
        labels = {} if body.metadata is UNSET else metadata.merge({}, metadata.validate(body.metadata))
        now = self._now_ms()
        incident = Incident(new_id("inc"), "open", body.severity, body.type, "manual", body.title,
                            body.error_message, None, now, now, now, metadata=labels, affected=affected)

        def job(conn: sqlite3.Connection) -> tuple[Incident, Event, int]:
            return self.service.write_change(conn, incident, "created", body.message, author, "incident.created", now,
                                       insert=True)

        made, event, _ = await self.writer.run(job)
        self.bus.publish(event)
        return made

    async def move(self, incident_id: str, action: str | None, author: str, message: str | None,
                   target: str | None = None) -> Incident:
        """acknowledge / resolve / reopen / close, or a target status (PUT .../status)."""
        if target is not None:
            choice(target, STATUSES, "status")

        def decide(current: Incident, now: int) -> tuple[Incident, lifecycle.Move]:
            try:
                move = lifecycle.act(current.status, action) if action else lifecycle.move(current.status, target)
            except Refused as exc:
                raise refused(exc, "status" if target is not None else None) from None
            return moved(current, move.action, now, author), move

        tracked = self.service.tracked(incident_id)
        if tracked is not None:
            # Through the queue, like the probe path: one order for every change of it.
            now = self._now_ms()
            changed, move = decide(tracked, now)
            self.service.queue_change(changed, KINDS[move.action], message, author, now, move.event)
            await self.writer.flush()
            return changed

        loop = asyncio.get_running_loop()

        def claim(current: Incident, now: int) -> tuple[Incident, lifecycle.Move]:
            """On the loop, in one callback: decide against the memory and take it."""
            changed, move = decide(current, now)
            if move.action == "reopen" and current.subject_id:
                latest = self.service.by_subject.get(current.subject_id)
                if latest is not None and latest.id != current.id and latest.status in ACTIVE:
                    raise Conflict(f"{current.subject_id} already has an open incident, {latest.id}: resolve "
                                   f"it before reopening this one (one open incident per monitor)",
                                   "incident_already_open")
            self.service.remember(changed)  # a reopened system incident is its subject's again
            return changed, move

        def job(conn: sqlite3.Connection) -> tuple[Incident, Event, int]:
            current = self.service.find(conn, incident_id)
            now = self._now_ms()
            changed, move = on_loop(loop, lambda: claim(current, now))
            return self.service.write_change(conn, changed, KINDS[move.action], message, author, move.event, now)

        changed, event, _ = await self.writer.run(job)
        self.bus.publish(event)
        return changed

    async def update(self, incident_id: str, body: public.IncidentPatch, author: str) -> Incident:
        """PATCH and PUT: severity, title, message, metadata. A change that changes
        nothing writes nothing; a closed incident refuses any change."""
        if body.severity is not UNSET:
            choice(body.severity, SEVERITIES, "severity")
        text = body.message
        if body.error_message is not UNSET:
            if text is not UNSET and text != body.error_message:
                raise Invalid("message and error_message are the same field; give one", "error_message")
            text = body.error_message
        patch = None if body.metadata is UNSET else metadata.validate(body.metadata)

        def change(incident: Incident) -> tuple[Incident, str | None]:
            not_closed(incident, "changed")
            changes: dict[str, Any] = {}
            notes = []
            if body.severity is not UNSET and body.severity != incident.severity:
                changes["severity"] = body.severity
                notes.append(f"severity {incident.severity} -> {body.severity}")
            if body.title is not UNSET and body.title != incident.title:
                changes["title"] = body.title
                notes.append(f"title '{incident.title}' -> '{body.title}'")
            if text is not UNSET and text != incident.error_message:
                changes["error_message"] = text
                notes.append("message changed")
            if patch is not None:
                merged = metadata.merge(incident.metadata, patch)
                if merged != incident.metadata:
                    changes["metadata"] = merged
                    notes.append("metadata changed")
            if not changes:
                return incident, None
            return incident.replace(**changes), "; ".join(notes)

        tracked = self.service.tracked(incident_id)
        if tracked is not None:
            changed, note = change(tracked)
            if note is None:
                return tracked
            now = self._now_ms()
            changed = changed.replace(updated_at=now)
            self.service.queue_change(changed, "updated", note, author, now, "incident.updated")
            await self.writer.flush()
            return changed

        def job(conn: sqlite3.Connection) -> tuple[Incident, Event | None, int]:
            current = self.service.find(conn, incident_id)
            changed, note = change(current)
            if note is None:
                return current, None, 0
            now = self._now_ms()
            changed = changed.replace(updated_at=now)
            return self.service.write_change(conn, changed, "updated", note, author, "incident.updated", now)

        changed, event, _ = await self.writer.run(job)
        if event is not None:
            self.bus.publish(event)
        return changed

    async def comment(self, incident_id: str, message: str, author: str) -> public.IncidentUpdate:
        """A timeline entry; it moves the incident's updated_at (so `since` polling sees it)."""
        tracked = self.service.tracked(incident_id)
        if tracked is not None:
            # the memory first, so the probe path goes on from it; the job runs after what is queued
            not_closed(tracked, "commented on")
            now = self._now_ms()
            tracked = tracked.replace(updated_at=now)
            self.service.remember(tracked)

        def job(conn: sqlite3.Connection) -> tuple[Event, public.IncidentUpdate]:
            if tracked is not None:
                changed, at = tracked, now
            else:
                current = self.service.find(conn, incident_id)
                not_closed(current, "commented on")
                at = self._now_ms()
                changed = current.replace(updated_at=at)
            conn.execute(*store.save_statement(changed))  # the save and the entry: one transaction
            return self._comment(conn, changed, message, author, at)

        event, update = await self.writer.run(job)
        self.bus.publish(event)
        return update

    def _comment(self, conn: sqlite3.Connection, incident: Incident, message: str, author: str,
                 now: int) -> tuple[Event, public.IncidentUpdate]:
        sql, params = store.update_statement(incident.id, now, "comment", incident.status, message, author)
        cursor = conn.execute(sql, params)
        update = public.update_object((cursor.lastrowid, None, now, "comment", incident.status, message, author),
                                      incident.id)
        obj = msgspec.to_builtins(update) | {"incident": public.as_json(incident)}
        return self.bus.record(conn, "incident.commented", obj, now / 1000), update

