"""Root-cause grouping at run time: one incident (one page) per root cause.

The pure decisions are catalog/causes.py's; this keeps what they read in
memory, so the probe path reads no database:

- the service graph (store/catalog.graph), read at start and again, off the
  probe path, after a `service.*` event or a monitor/heartbeat resource event
  (`refresh()` does it at once);
- the incidents: the IncidentService's memory of each subject's latest one;
- which members are failing but not confirmed down: `failing(subject_id)`,
  the daemon's look at the running monitors and heartbeats.

In the incident's own commit (IncidentService.on_state_change calls `before`
and `after`): an opening incident gets `caused_by` (its alerts are recorded
suppressed, reason dependency, and no escalation starts: alerts/router.py,
oncall/escalations.py read the incident) or `held_until`; the root's timeline
and `caused_incidents` say so. A held incident's timer (`incident.hold`, keyed
by incident id, re-armed at start from the column) groups it or releases it:
`incident.updated` with `reason: "released"` sends its opening alert and
starts its escalation. A root resolving (any path: a listener) hands each
incident it caused that is still down to another root, or holds it, then
releases it; `caused_by` stays as history.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import structlog

from upstatd.catalog import causes
from upstatd.catalog.graph import EMPTY, Graph
from upstatd.clock import Clock
from upstatd.events import Event, EventBus
from upstatd.incidents.policy import ACTIVE
from upstatd.incidents.service import SYSTEM, IncidentService
from upstatd.store import catalog as catalog_store
from upstatd.store import incidents as incident_store
from upstatd.store.incidents import Incident

log = structlog.get_logger("upstatd.catalog")

OPENING = ("created", "reopened")
GRAPH_ACTIONS = ("created", "updated", "deleted")


class _Failing:
    """`subject in failing`: asked of the daemon's running monitors and heartbeats, one at a time."""

    def __init__(self, failing: Callable[[str], bool]) -> None:
        self.failing = failing

    def __contains__(self, subject_id: object) -> bool:
        return isinstance(subject_id, str) and self.failing(subject_id)


def _clock_text(at_ms: int) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(at_ms / 1000))


class GroupingService:
    def __init__(self, clock: Clock, writer: Any, read_db: Any, bus: EventBus, runner: Any,
                 incidents: IncidentService, failing: Callable[[str], bool]) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db
        self.bus = bus
        self.incidents = incidents
        self.failing = _Failing(failing)
        self.graph: Graph = EMPTY
        self.timers = runner.timers("incident.hold", self._on_timer)
        self.held: set[str] = set()  # the incidents whose hold's timer is armed
        self._refreshing: asyncio.Task | None = None
        self._stale = False
        incidents.grouping = self
        bus.subscribe(self._on_event)

    @property
    def hold_ms(self) -> int:
        return round(self.incidents.settings.dependency_hold * 1000)

    async def load(self) -> None:
        """The graph, and the timers of incidents held when the daemon stopped (one whose hold
        ended meanwhile: at once)."""
        self.graph = await self.read_db.call(catalog_store.graph)
        held = [incident for incident in self.incidents.by_subject.values()
                if incident.held_until is not None and incident.status in ACTIVE]
        for incident in held:
            self._arm(incident)
        log.info("grouping.loaded", services=len(self.graph.names), held=len(held))

    async def refresh(self) -> None:
        """Read the graph again (what was queued committed first)."""
        await self.writer.flush()
        self.graph = await self.read_db.call(catalog_store.graph)

    async def stop(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            await asyncio.gather(self._refreshing, return_exceptions=True)

    # -- what the router asks (any thread: reads only) ------------------------------------------

    def held_back(self, incident: dict) -> bool:
        """An incident whose alerts wait (held) or are suppressed (caused by an open incident)."""
        if incident.get("held_until") is not None:
            return True
        cause = incident.get("caused_by")
        if cause is None:
            return False
        # a copy: the loop may change the memory; only open incidents suppress (a resolved cause is history)
        return any(root.id == cause for root in list(self.incidents.open_by_subject.values()))

    # -- in the incident's commit (IncidentService.on_state_change) -----------------------------

    def _tracked(self) -> dict[str, causes.Tracked]:
        """The open incidents of members of services: all causes.py looks at (a resolved one is no
        cause, a subject in no service none either). Few even in a storm; building every subject's
        latest took 8 ms per opening at 10,000 (BENCHMARKS.md, bench/grouping.py)."""
        members = self.graph.members
        return {subject: causes.Tracked(incident.id, incident.status, incident.caused_by,
                                        incident.held_until is not None)
                for subject, incident in self.incidents.open_by_subject.items() if subject in members}

    def before(self, kind: str, incident: Incident, at_ms: int) -> Incident:
        """The incident as it is written: an opening one caused or held; a resolved one held no more."""
        if kind in OPENING and incident.subject_id:
            if incident.subject_id not in self.graph.members:  # in no service: alone (most monitors)
                return incident.replace(caused_by=None, held_until=None)
            tracked = self._tracked()
            tracked.pop(incident.subject_id, None)  # its own latest (a reopened one) is not its cause
            verdict = causes.decide(self.graph, incident.subject_id, tracked, self.failing, at_ms, self.hold_ms)
            return incident.replace(caused_by=verdict.caused_by, held_until=verdict.held_until)
        if kind == "resolved" and incident.held_until is not None:
            return incident.replace(held_until=None)
        return incident

    def after(self, kind: str, incident: Incident, at_ms: int) -> None:
        """What goes with it, queued behind it: the root's side, the hold's timer and entry, and
        the waiting incidents this one's opening groups."""
        if kind in OPENING:
            if incident.caused_by is not None:
                self._tell_grouped(incident, incident.caused_by, at_ms)
            elif incident.held_until is not None:
                self._arm(incident)
                self._entry(incident, "updated", at_ms,
                            f"Held until {_clock_text(incident.held_until)} "
                            f"({self.hold_ms / 1000:g} s): a service {self._name(incident)} depends on is failing "
                            "but not confirmed down yet; its alerts wait")
            self._settle(at_ms)
        elif kind == "resolved":
            self._unhold(incident.id)

    # -- after a commit (a listener): a root resolved, the graph changed -------------------------

    def _on_event(self, event: Event) -> None:
        kind = event.type
        if kind == "incident.resolved":  # (closed comes after resolved: nothing more to hand on)
            obj = event.object if isinstance(event.object, dict) else {}
            if obj.get("id") and obj.get("caused_incidents"):
                self._root_resolved(obj["id"], round(event.created * 1000))
        elif kind.startswith("service.") or (kind.startswith(("monitor.", "heartbeat."))
                                             and kind.split(".", 1)[1] in GRAPH_ACTIONS):
            self._refresh_soon()

    def _refresh_soon(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._refreshing is not None and not self._refreshing.done():
            self._stale = True
            return
        self._refreshing = loop.create_task(self._refresh_loop())

    async def _refresh_loop(self) -> None:
        while True:
            self._stale = False
            try:
                await self.refresh()
            except Exception:
                log.exception("grouping.refresh_failed")
            if not self._stale:
                return

    def _root_resolved(self, root_id: str, at_ms: int) -> None:
        tracked = self._tracked()
        if not any(entry.caused_by == root_id and entry.status in ACTIVE for entry in tracked.values()):
            return
        for incident_id, verdict in causes.on_root_resolved(self.graph, root_id, tracked, self.failing, at_ms,
                                                            self.hold_ms):
            incident = self.incidents.tracked(incident_id)
            if incident is None:
                continue
            if verdict.held_until is None:  # another root: grouped under it instead
                self._group(incident, verdict.caused_by, at_ms)
                continue
            held = incident.replace(held_until=verdict.held_until, updated_at=at_ms)
            self.incidents.queue_change(
                held, "updated",
                f"{self._root_name(root_id)} recovered ({root_id}) but {self._name(incident)} is still down: "
                f"held until {_clock_text(verdict.held_until)} ({self.hold_ms / 1000:g} s), then alerted on its own",
                SYSTEM, at_ms, "incident.updated")
            self._arm(held)

    # -- the hold's end (the wheel) ---------------------------------------------------------------

    def _arm(self, incident: Incident) -> None:
        due = incident.held_until / 1000
        self.held.add(incident.id)
        self.timers.schedule(incident.id, self.clock.monotonic() + max(0.0, due - self.clock.time()))

    def _unhold(self, incident_id: str) -> None:
        self.held.discard(incident_id)
        self.timers.cancel(incident_id)

    def _on_timer(self, incident_id: str, when: float, now: float) -> None:
        incident = self.incidents.tracked(incident_id)
        if incident is None or incident.status not in ACTIVE or incident.held_until is None:
            self.held.discard(incident_id)
            return
        at_ms = round(self.clock.time() * 1000)
        if at_ms + 5 < incident.held_until:  # the wall clock was set back
            self._arm(incident)
            return
        tracked = self._tracked()
        root = causes.at_hold_end(self.graph, incident.subject_id or "", tracked, self.failing)
        if root is not None:
            self._group(incident, root, at_ms)
        else:
            self._release(incident, at_ms)
        self._settle(at_ms)

    # -- the changes ----------------------------------------------------------------------------

    def _settle(self, at_ms: int) -> None:
        """Group the waiting incidents a root now stands for (repeated: one grouped may be the
        dependency another waits on)."""
        if not self.held:  # nothing waits (the usual case): no look at every incident
            return
        for _ in range(8):
            found = causes.settle(self.graph, self._tracked(), self.failing)
            if not found:
                return
            for incident_id, root_id in found:
                incident = self.incidents.tracked(incident_id)
                if incident is not None:
                    self._group(incident, root_id, at_ms)

    def _group(self, incident: Incident, root_id: str, at_ms: int) -> None:
        """An incident that waited (or lost its root) is caused by `root_id` now."""
        before = incident.caused_by
        changed = incident.replace(caused_by=root_id, held_until=None, updated_at=at_ms)
        self._unhold(incident.id)
        if before is not None and before != root_id:
            old = self.incidents.tracked(before)
            if old is not None and incident.id in old.caused_incidents:
                self.incidents.remember(old.replace(
                    caused_incidents=[entry for entry in old.caused_incidents if entry != incident.id]))
        self.incidents.queue_change(changed, "grouped", self._caused_text(changed, root_id), SYSTEM, at_ms,
                                    "incident.updated", extra={"reason": "grouped", "caused_by": root_id})
        self._tell_grouped(changed, root_id, at_ms, entry=False)

    def _tell_grouped(self, incident: Incident, root_id: str, at_ms: int, entry: bool = True) -> None:
        """The dependent's `grouped` entry (`entry`: at its opening), the root's entry, its
        caused_incidents and its `incident.updated`."""
        if entry:
            self._entry(incident, "grouped", at_ms, self._caused_text(incident, root_id))
        root = self.incidents.tracked(root_id)
        if root is None:
            return
        caused = [*[entry for entry in root.caused_incidents if entry != incident.id], incident.id]
        changed = root.replace(caused_incidents=caused, updated_at=at_ms)
        self.incidents.queue_change(
            changed, "grouped",
            f"Caused {self._name(incident)}'s incident {incident.id} ({self._name(incident)} depends on "
            f"{self._root_name(root_id)}): its alerts are suppressed", SYSTEM, at_ms, "incident.updated",
            extra={"reason": "grouped", "caused_incident": incident.id})
        log.info("grouping.grouped", incident=incident.id, caused_by=root_id)

    def _release(self, incident: Incident, at_ms: int) -> None:
        """The hold is over and no root stands for it: alerted on its own (caused_by stays)."""
        changed = incident.replace(held_until=None, updated_at=at_ms)
        self.held.discard(incident.id)
        if incident.caused_by is not None:
            why = (f"{self._root_name(incident.caused_by)} recovered ({incident.caused_by}) and "
                   f"{self._name(incident)} is still down after the hold")
            self._entry_for(incident.caused_by, "released", at_ms,
                            f"{self._name(incident)}'s incident {incident.id} is still down after this one "
                            "recovered: alerted on its own")
        else:
            why = (f"no service {self._name(incident)} depends on was confirmed down within the hold of "
                   f"{self.hold_ms / 1000:g} s")
        self.incidents.queue_change(changed, "released", f"Released: {why}; alerted on its own", SYSTEM, at_ms,
                                    "incident.updated", extra={"reason": "released"})
        log.info("grouping.released", incident=incident.id, caused_by=incident.caused_by)

    def _entry(self, incident: Incident, kind: str, at_ms: int, message: str) -> None:
        self.writer.add(*incident_store.update_statement(incident.id, at_ms, kind, incident.status, message, SYSTEM))

    def _entry_for(self, incident_id: str, kind: str, at_ms: int, message: str) -> None:
        incident = self.incidents.tracked(incident_id)
        status = incident.status if incident is not None else "resolved"
        self.writer.add(*incident_store.update_statement(incident_id, at_ms, kind, status, message, SYSTEM))

    # -- words ------------------------------------------------------------------------------------

    def _name(self, incident: Incident) -> str:
        """The service of the incident's subject, by name (else the incident's title)."""
        service = self.graph.members.get(incident.subject_id or "")
        return self.graph.names.get(service or "", incident.title)

    def _root_name(self, root_id: str) -> str:
        root = self.incidents.tracked(root_id)
        return self._name(root) if root is not None else root_id

    def _caused_text(self, incident: Incident, root_id: str) -> str:
        return (f"Caused by {self._root_name(root_id)}: {root_id} ({self._name(incident)} depends on it); "
                "its alerts are suppressed")
