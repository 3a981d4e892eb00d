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
- The API's moves are incidents/commands.py; they use `queue_change` (through the
  queue, for an incident the probe path may also change) and `write_change` (inside
  a job) from here, so both paths record a change the same way.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import structlog

from upstatd.clock import Clock
from upstatd.config.incidents import IncidentSettings
from upstatd.errors import NotFound
from upstatd.events import Event, EventBus, IncidentChanged, StateChanged
from upstatd.ids import new_id
from upstatd.incidents import policy, public
from upstatd.incidents.policy import ACTIVE, Decision
from upstatd.store import incidents as store
from upstatd.store.incidents import Incident

log = structlog.get_logger("upstatd.incidents")

SYSTEM = "system"
KINDS = {"acknowledge": "acknowledged", "resolve": "resolved", "reopen": "reopened", "close": "closed"}


def _new_incident_id() -> str:
    return new_id("inc")


class IncidentService:
    def __init__(self, clock: Clock, writer: Any, bus: EventBus, settings: IncidentSettings) -> None:
        self.clock = clock
        self.writer = writer
        self.bus = bus
        self.settings = settings
        self.by_subject: dict[str, Incident] = {}
        self.open_by_subject: dict[str, Incident] = {}  # the open or acknowledged ones of by_subject
        self._subject_of: dict[str, str] = {}  # incident id -> subject id, of by_subject's: tracked() without a scan
        self.grouping: Any = None  # catalog.grouping.GroupingService: root-cause grouping, when running

    async def load(self, conn: Any) -> None:
        """Read what is open (at start, before any state changes)."""
        self.by_subject = {incident.subject_id: incident for incident in await conn.call(store.tracked)
                           if incident.subject_id}
        self.open_by_subject = {subject: incident for subject, incident in self.by_subject.items()
                                if incident.status in ACTIVE}
        self._subject_of = {incident.id: subject for subject, incident in self.by_subject.items()}
        log.info("incidents.loaded", tracked=len(self.by_subject),
                 open=sum(incident.status in ACTIVE for incident in self.by_subject.values()))

    def open_for(self, subject_id: str) -> Incident | None:
        incident = self.by_subject.get(subject_id)
        return incident if incident is not None and incident.status in ACTIVE else None

    # -- the probe path ------------------------------------------------------------------

    def on_state_change(self, change: StateChanged) -> IncidentChanged | None:
        """Queue what the state change does to the subject's incident, behind the change."""
        decision = policy.decide(self.by_subject.get(change.subject.id), change, self.settings.reopen_window,
                                 _new_incident_id)
        if decision is None:
            return None
        at_ms = round(change.at * 1000)
        incident = decision.incident
        if self.grouping is not None:  # caused by a dependency's incident, or held: said in this commit
            incident = self.grouping.before(decision.kind, incident, at_ms)
        changed = self.queue_change(incident, decision.kind, decision.note, SYSTEM, at_ms, decision.event,
                                    save=not decision.insert, insert=decision.insert)
        if self.grouping is not None:
            self.grouping.after(decision.kind, incident, at_ms)
        return changed

    # -- a subject deleted (inside the delete command's job) --------------------------------

    def decide_deleted(self, subject_id: str, kind: str, at: float) -> Decision | None:
        return policy.resolve(self.by_subject.get(subject_id), f"the {kind} was deleted", round(at * 1000))

    def write(self, conn: sqlite3.Connection, decision: Decision) -> Event:
        """The decision's rows and event, inside the caller's transaction."""
        at_ms = decision.incident.updated_at
        return self.write_change(conn, decision.incident, decision.kind, decision.note, SYSTEM, decision.event, at_ms,
                           insert=decision.insert)[1]

    def forget_subject(self, subject_id: str) -> None:
        self._untrack(subject_id)
        self.open_by_subject.pop(subject_id, None)

    def _untrack(self, subject_id: str) -> None:
        gone = self.by_subject.pop(subject_id, None)
        if gone is not None:
            self._subject_of.pop(gone.id, None)

    def _queue(self, statements: list[tuple[str, tuple]]) -> None:
        for sql, params in statements:
            self.writer.add(sql, params)

    def queue_change(self, incident: Incident, kind: str, message: str | None, author: str, at_ms: int,
                event_type: str, save: bool = True, insert: bool = False,
                extra: dict[str, Any] | None = None) -> IncidentChanged:
        """Queue the change, its timeline entry and its event (one commit), and remember it."""
        statements = store.insert_statements(incident) if insert else []
        if save:
            statements.append(store.save_statement(incident))
        statements.append(store.update_statement(incident.id, at_ms, kind, incident.status, message, author))
        self._queue(statements)
        self._remember(incident)
        log.info("incident." + kind, incident=incident.id, subject=incident.subject_id, status=incident.status,
                 severity=incident.severity, type=incident.type)
        self.bus.emit(event_type, public.as_json(incident), at_ms / 1000, extra)
        return IncidentChanged(event_type, incident.id, incident.status, at_ms / 1000)

    def _remember(self, incident: Incident) -> None:
        if not incident.subject_id:
            return
        if incident.status == "closed":
            if self.by_subject.get(incident.subject_id, incident).id == incident.id:
                self._untrack(incident.subject_id)
        else:
            self._untrack(incident.subject_id)
            self.by_subject[incident.subject_id] = incident
            self._subject_of[incident.id] = incident.subject_id
        latest = self.by_subject.get(incident.subject_id)
        if latest is not None and latest.status in ACTIVE:
            self.open_by_subject[incident.subject_id] = latest
        else:
            self.open_by_subject.pop(incident.subject_id, None)

    remember = _remember

    # -- the API path ---------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return round(self.clock.time() * 1000)

    def find(self, conn: sqlite3.Connection, incident_id: str) -> Incident:
        """The incident as it stands: the memory's copy for a tracked one (it may be
        ahead of the database by what is queued), else the row."""
        row = store.get(conn, incident_id)
        if row is None:
            raise NotFound(f"no incident with id '{incident_id}'")
        tracked = self.by_subject.get(row.subject_id or "")
        if tracked is not None and tracked.id == row.id:
            return tracked.replace(seq=row.seq)
        return row

    def write_change(self, conn: sqlite3.Connection, incident: Incident, kind: str, message: str | None,
               author: str, event_type: str, at_ms: int, insert: bool = False) -> tuple[Incident, Event, int]:
        statements = store.insert_statements(incident) if insert else [store.save_statement(incident)]
        store.execute(conn, statements)
        sql, params = store.update_statement(incident.id, at_ms, kind, incident.status, message, author)
        cursor = conn.execute(sql, params)
        event = self.bus.record(conn, event_type, public.as_json(incident), at_ms / 1000)
        return incident, event, cursor.lastrowid

    def tracked(self, incident_id: str) -> Incident | None:
        """The memory's copy of an incident the probe path may change (a subject's latest)."""
        return self.by_subject.get(self._subject_of.get(incident_id, ""))
