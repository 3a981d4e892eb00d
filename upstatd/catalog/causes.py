"""Root-cause grouping, pure: whose incident caused whose, from the service graph.

When a monitor's or heartbeat's incident opens, its service's dependencies are
looked at, nearest first (catalog/graph.py):

- a member of one has an incident open that is not waiting itself: the new
  incident is caused by that incident's root (a caused incident's cause, up
  the chain): `Verdict(caused_by=<root>)`; its alerts are suppressed;
- else a member is failing but not confirmed down yet (a failed check short of
  its confirmation, a late heartbeat), or has an incident that is itself
  waiting: the new incident is held, `Verdict(held_until=now + hold)`; its
  alerts wait, and it is grouped when a root turns up within the hold
  (`settle`), alerted on its own at its end (`at_hold_end`);
- else it stands alone.

When a root resolves, each incident it caused that is still open is looked at
again (`on_root_resolved`): another root (a second dependency still down) takes
it over; else it is held for `hold` (caused_by kept, as history), then alerted
on its own unless it recovered meanwhile.

Times are Unix ms. `incidents` maps each subject (mon_/hbt_) to its latest
incident as `Tracked`, open or not: a cause that is no longer open stops the
chain.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NamedTuple

from upstatd.catalog.graph import Graph

ACTIVE = ("open", "acknowledged")


class Tracked(NamedTuple):
    id: str
    status: str
    caused_by: str | None = None
    held: bool = False         # held_until is set


class Verdict(NamedTuple):
    caused_by: str | None = None    # the root incident
    held_until: int | None = None   # Unix ms

    @property
    def alone(self) -> bool:
        return self.caused_by is None and self.held_until is None


ALONE = Verdict()


def _active(incidents: Mapping[str, Tracked]) -> dict[str, Tracked]:
    """id -> incident, the open (or acknowledged) ones."""
    return {incident.id: incident for incident in incidents.values() if incident.status in ACTIVE}


def _caused(incident: Tracked, by_id: Mapping[str, Tracked]) -> bool:
    """Caused by an incident still open (a cause that resolved is history)."""
    return incident.caused_by is not None and incident.caused_by in by_id


def waiting(incident: Tracked, by_id: Mapping[str, Tracked]) -> bool:
    """Held, and not (or no longer) caused by an open incident."""
    return incident.held and not _caused(incident, by_id)


def root_of(incident_id: str, by_id: Mapping[str, Tracked]) -> str:
    """Up the chain of open causes to the incident at its root."""
    seen = {incident_id}
    current = incident_id
    while True:
        cause = by_id[current].caused_by if current in by_id else None
        if cause is None or cause not in by_id or cause in seen:
            return current
        seen.add(cause)
        current = cause


def decide(graph: Graph, subject: str, incidents: Mapping[str, Tracked], failing: Collection[str],
           now: int, hold: int) -> Verdict:
    """What an incident of `subject` opening now is: caused by a root, held, or alone.
    `failing`: subjects failing but not confirmed down."""
    service = graph.members.get(subject)
    if service is None:
        return ALONE
    by_id: dict[str, Tracked] | None = None  # read only once a dependency has an open incident (rare)
    own = incidents.get(subject)
    pending = False
    for dependency in graph.dependencies(service):
        for member in graph.members_of(dependency):
            incident = incidents.get(member)
            if incident is not None and incident.status in ACTIVE and (own is None or incident.id != own.id):
                if by_id is None:
                    by_id = _active(incidents)
                if waiting(incident, by_id):
                    pending = True
                    continue
                return Verdict(caused_by=root_of(incident.id, by_id))
            if member in failing:
                pending = True
    return Verdict(held_until=now + hold) if pending else ALONE


def settle(graph: Graph, incidents: Mapping[str, Tracked], failing: Collection[str]) -> list[tuple[str, str]]:
    """The waiting incidents a root now stands for: [(incident id, root id)] (after an
    incident opened, was grouped or released)."""
    by_id = _active(incidents)
    out = []
    for subject, incident in incidents.items():
        if incident.id in by_id and waiting(incident, by_id):
            verdict = decide(graph, subject, incidents, failing, 0, 0)
            if verdict.caused_by is not None:
                out.append((incident.id, verdict.caused_by))
    return out


def at_hold_end(graph: Graph, subject: str, incidents: Mapping[str, Tracked], failing: Collection[str]) -> str | None:
    """The hold of `subject`'s incident is over: the root it is grouped with, or None: it
    is alerted on its own (a dependency still failing unconfirmed waits no longer)."""
    return decide(graph, subject, incidents, failing, 0, 0).caused_by


def on_root_resolved(graph: Graph, root_id: str, incidents: Mapping[str, Tracked], failing: Collection[str],
                     now: int, hold: int) -> list[tuple[str, Verdict]]:
    """The incidents `root_id` caused that are still open, each with what it is now: caused by
    another root, or held until now + hold (its caused_by kept) and then alerted on its own."""
    caused = {subject: incident for subject, incident in incidents.items()
              if incident.status in ACTIVE and incident.caused_by == root_id}
    # while they are looked at again, each waits: none is taken for a root of the others
    limbo = {**incidents, **{subject: incident._replace(held=True) for subject, incident in caused.items()}}
    out = []
    for subject, incident in caused.items():
        verdict = decide(graph, subject, limbo, failing, now, hold)
        if verdict.caused_by is None:
            verdict = Verdict(caused_by=root_id, held_until=now + hold)
        out.append((incident.id, verdict))
    return out
