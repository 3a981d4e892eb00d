"""Incidents at run time: the memory of each subject's incident, the probe
path's incident changes, and the API's moves.

- The probe path: the command recording a state change (MonitorService.record,
  a heartbeat flip) calls `on_state_change` synchronously; the pure
  `policy.decide` says what happens, and its statements, timeline entry and
  event are queued on the writer right behind the state change: one commit.
  The database is never read on this path: each subject's latest system
  incident that is not closed is kept in memory (`by_subject`, loaded at
  start), the open one, or the resolved one a new failure reopens.
- A delete: `decide_deleted` before the command's job, `write` inside it,
  `remember` after the commit.
- The API path: a change to a tracked incident goes through the same queue
  (checked against the memory and remembered synchronously, queued, then
  `writer.flush()` before answering), so it and the probe path's changes are
  committed in the order they were made. Other incidents (manual ones, older
  system ones) are changed in `writer.run` jobs that read the row first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import Callable
from typing import Any

import structlog

from upstatd.clock import Clock
from upstatd.config.incidents import IncidentSettings
from upstatd.errors import Conflict, NotFound
from upstatd.events import Event, EventBus, IncidentChanged, StateChanged
from upstatd.ids import new_id
from upstatd.incidents import lifecycle, policy
from upstatd.incidents.policy import ACTIVE, Decision
from upstatd.store import incidents as store
from upstatd.store.incidents import Incident

log = structlog.get_logger("upstatd.incidents")

SYSTEM = "system"
KINDS = {"acknowledge": "acknowledged", "resolve": "resolved", "reopen": "reopened", "close": "closed"}


class IncidentService:
    def __init__(self, clock: Clock, writer: Any, bus: EventBus, settings: IncidentSettings) -> None:
        self.clock = clock
        self.writer = writer
        self.bus = bus
        self.settings = settings
        self.by_subject: dict[str, Incident] = {}

    async def load(self, conn: Any) -> None:
        """Read what is open (at start, before any state changes)."""
        self.by_subject = {incident.subject_id: incident for incident in await conn.call(store.tracked)
                           if incident.subject_id}
        log.info("incidents.loaded", tracked=len(self.by_subject),
                 open=sum(incident.status in ACTIVE for incident in self.by_subject.values()))

    def open_for(self, subject_id: str) -> Incident | None:
        incident = self.by_subject.get(subject_id)
        return incident if incident is not None and incident.status in ACTIVE else None

    # -- the probe path ------------------------------------------------------------------

    def on_state_change(self, change: StateChanged) -> IncidentChanged | None:
        """Queue what the state change does to the subject's incident, behind the change."""
        decision = policy.decide(self.by_subject.get(change.subject.id), change, self.settings.reopen_window,
                                 new_id("inc"))
        if decision is None:
            return None
        return self._commit(decision.incident, decision.kind, decision.note, SYSTEM, round(change.at * 1000),
                            decision.event, save=not decision.insert, insert=decision.insert)

    # -- a subject deleted (inside the delete command's job) --------------------------------

    def decide_deleted(self, subject_id: str, kind: str, at: float) -> Decision | None:
        return policy.resolve(self.by_subject.get(subject_id), f"the {kind} was deleted", round(at * 1000))

    def write(self, conn: sqlite3.Connection, decision: Decision) -> Event:
        """The decision's rows and event, inside the caller's transaction."""
        at_ms = decision.incident.updated_at
        return self._write(conn, decision.incident, decision.kind, decision.note, SYSTEM, decision.event, at_ms,
                           insert=decision.insert)[1]

    def forget_subject(self, subject_id: str) -> None:
        self.by_subject.pop(subject_id, None)

    def _queue(self, statements: list[tuple[str, tuple]]) -> None:
        for sql, params in statements:
            self.writer.add(sql, params)

    def _commit(self, incident: Incident, kind: str, message: str | None, author: str, at_ms: int,
                event_type: str, save: bool = True, insert: bool = False) -> IncidentChanged:
        """Queue the change, its timeline entry and its event (one commit), and remember it."""
        statements = store.insert_statements(incident) if insert else []
        if save:
            statements.append(store.save_statement(incident))
        statements.append(store.update_statement(incident.id, at_ms, kind, incident.status, message, author))
        self._queue(statements)
        self._remember(incident)
        log.info("incident." + kind, incident=incident.id, subject=incident.subject_id, status=incident.status,
                 severity=incident.severity, type=incident.type)
        self.bus.emit(event_type, store.public(incident), at_ms / 1000)
        return IncidentChanged(event_type, incident.id, incident.status, at_ms / 1000)

    def _remember(self, incident: Incident) -> None:
        if not incident.subject_id:
            return
        if incident.status == "closed":
            if self.by_subject.get(incident.subject_id, incident).id == incident.id:
                self.by_subject.pop(incident.subject_id, None)
        else:
            self.by_subject[incident.subject_id] = incident

    remember = _remember

    # -- the API path ---------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return round(self.clock.time() * 1000)

    def _find(self, conn: sqlite3.Connection, incident_id: str) -> Incident:
        """The incident as it stands: the memory's copy for a tracked one (it may be
        ahead of the database by what is queued), else the row."""
        row = store.get(conn, incident_id)
        if row is None:
            raise NotFound(f"no incident with id '{incident_id}'")
        tracked = self.by_subject.get(row.subject_id or "")
        if tracked is not None and tracked.id == row.id:
            return tracked.replace(seq=row.seq)
        return row

    def _write(self, conn: sqlite3.Connection, incident: Incident, kind: str, message: str | None,
               author: str, event_type: str, at_ms: int, insert: bool = False) -> tuple[Incident, Event, int]:
        statements = store.insert_statements(incident) if insert else [store.save_statement(incident)]
        store.execute(conn, statements)
        sql, params = store.update_statement(incident.id, at_ms, kind, incident.status, message, author)
        cursor = conn.execute(sql, params)
        event = self.bus.record(conn, event_type, store.public(incident), at_ms / 1000)
        return incident, event, cursor.lastrowid

    async def create(self, fields: dict[str, Any], author: str) -> Incident:
        """A manual incident: open, source manual."""
        now = self._now_ms()
        incident = Incident(new_id("inc"), "open", fields["severity"], fields["type"], "manual", fields["title"],
                            fields.get("error_message"), None, fields.get("started_at") or now, now, now,
                            metadata=fields.get("metadata") or {}, affected=list(fields.get("affected") or []))

        def job(conn: sqlite3.Connection) -> tuple[Incident, Event, int]:
            return self._write(conn, incident, "created", fields.get("message"), author,
                               "incident.created", now, insert=True)

        made, event, _ = await self.writer.run(job)
        self.bus.publish(event)
        return made

    def tracked(self, incident_id: str) -> Incident | None:
        """The memory's copy of an incident the probe path may change (a subject's latest)."""
        for incident in self.by_subject.values():
            if incident.id == incident_id:
                return incident
        return None

    async def act(self, incident_id: str, action: str | None, author: str, message: str | None,
                  target: str | None = None) -> Incident:
        """acknowledge / resolve / reopen / close (or a target status, PUT .../status)."""
        def decide(current: Incident, now: int) -> tuple[Incident, lifecycle.Move]:
            move = lifecycle.act(current.status, action) if action else lifecycle.move(current.status, target)
            return _moved(current, move.action, now, author), move

        tracked = self.tracked(incident_id)
        if tracked is not None:
            # Through the queue, like the probe path: one order for every change of it.
            now = self._now_ms()
            changed, move = decide(tracked, now)
            self._commit(changed, KINDS[move.action], message, author, now, move.event)
            await self.writer.flush()
            return changed

        loop = asyncio.get_running_loop()

        def claim(current: Incident, now: int) -> tuple[Incident, lifecycle.Move]:
            """On the loop, in one callback: the memory is the loop's (the probe path changes it)."""
            changed, move = decide(current, now)
            if move.action == "reopen" and current.subject_id:
                latest = self.by_subject.get(current.subject_id)
                if latest is not None and latest.id != current.id and latest.status in ACTIVE:
                    raise Conflict(f"{current.subject_id} already has an open incident, {latest.id}: resolve "
                                   f"it before reopening this one (one open incident per monitor)",
                                   "incident_already_open")
            self._remember(changed)  # a reopened system incident is its subject's again
            return changed, move

        def job(conn: sqlite3.Connection) -> tuple[Incident, Event, int]:
            current = self._find(conn, incident_id)
            now = self._now_ms()
            changed, move = on_loop(loop, lambda: claim(current, now))
            return self._write(conn, changed, KINDS[move.action], message, author, move.event, now)

        changed, event, _ = await self.writer.run(job)
        self.bus.publish(event)
        return changed

    async def update(self, incident_id: str, change: Callable[[Incident], tuple[Incident, str | None]],
                     author: str) -> Incident:
        """PATCH: `change(incident)` -> (the changed incident, a note for the timeline; None: nothing changed)."""
        tracked = self.tracked(incident_id)
        if tracked is not None:
            changed, note = change(tracked)
            if note is None:
                return tracked
            now = self._now_ms()
            changed = changed.replace(updated_at=now)
            self._commit(changed, "updated", note, author, now, "incident.updated")
            await self.writer.flush()
            return changed

        def job(conn: sqlite3.Connection) -> tuple[Incident, Event | None, int]:
            current = self._find(conn, incident_id)
            changed, note = change(current)
            if note is None:
                return current, None, 0
            now = self._now_ms()
            changed = changed.replace(updated_at=now)
            return self._write(conn, changed, "updated", note, author, "incident.updated", now)

        changed, event, _ = await self.writer.run(job)
        if event is not None:
            self.bus.publish(event)
        return changed

    async def comment(self, incident_id: str, message: str, author: str) -> tuple[Incident, dict]:
        def job(conn: sqlite3.Connection) -> tuple[Incident, Event, dict]:
            current = self._find(conn, incident_id)
            now = self._now_ms()
            sql, params = store.update_statement(current.id, now, "comment", current.status, message, author)
            cursor = conn.execute(sql, params)
            update = store.update_object((cursor.lastrowid, None, now, "comment", current.status, message, author),
                                         current.id)
            event = self.bus.record(conn, "incident.commented", {**update, "incident": store.public(current)},
                                    now / 1000)
            return current, event, update

        current, event, update = await self.writer.run(job)
        self.bus.publish(event)
        return current, update


def on_loop(loop: asyncio.AbstractEventLoop, fn: Callable[[], Any]) -> Any:
    """From the database's thread: run fn on the loop and wait for its result."""
    done: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            done.set_result(fn())
        except BaseException as exc:
            done.set_exception(exc)

    loop.call_soon_threadsafe(run)
    return done.result()


def _moved(incident: Incident, action: str, now: int, author: str) -> Incident:
    status = lifecycle.ACTIONS[action]
    if action == "acknowledge":
        return incident.replace(status=status, acknowledged_at=now, acknowledged_by=author, updated_at=now)
    if action == "resolve":
        return incident.replace(status=status, resolved_at=now, updated_at=now)
    if action == "reopen":
        return incident.replace(status=status, resolved_at=None, updated_at=now)
    return incident.replace(status=status, closed_at=now, updated_at=now)
