"""Which resources of a status page a failing dependency affects, and the words
for it. Pure.

A page resource's subjects are its monitor or heartbeat, or a group's members;
each may belong to a catalog service (catalog/graph.py). The resource is
affected by every service that one of those services needs, directly or
through others, and that is down: its causes, nearest first, each once. Only
`down` counts (a degraded or paused dependency is not an outage), and a
resource shows its causes only while its own public state says something
(operational, degraded or down; not under maintenance, not without data).

The words (docs/catalog-pages.md):
- beside an operational or degraded resource: "Affected: postgres is down";
- in place of a down resource's "Down": "Down — caused by postgres";
- once per cause, under the banner: "postgres is down; API, Website affected",
  with the public names of the page's members of that service when the page
  shows some: "postgres (Database) is down; API, Website affected".
Services are named by their name only: their ids are not shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from upstatd.catalog.graph import Graph

SHOWN_IN = ("operational", "degraded", "down")   # the public states beside which a cause is shown


class Cause(NamedTuple):
    service_id: str
    name: str
    state: str                   # the service's state (catalog/graph.state): down


class CauseLine(NamedTuple):
    """A cause as the banner names it, once: the page's resources it affects."""
    name: str
    state: str
    shown_as: list[str]          # the public names of the page's own members of the failing service
    affected: list[str]          # the public names of the resources it affects, in page order


def causes(graph: Graph, states: Mapping[str, str], subjects: Iterable[str]) -> list[Cause]:
    """The down services that the services of `subjects` (mon_/hbt_ ids) need, nearest first
    (for each subject in turn), each once. `states`: svc -> its state."""
    found: dict[str, Cause] = {}
    for subject in subjects:
        service = graph.members.get(subject)
        if service is None:
            continue
        for needed in graph.dependencies(service):
            if states.get(needed) == "down" and needed not in found:
                found[needed] = Cause(needed, graph.names.get(needed, needed), "down")
    return list(found.values())


def shown(public_state: str, found: list[Cause]) -> list[Cause]:
    """The causes a resource in this public state shows (none under maintenance or without data)."""
    return found if public_state in SHOWN_IN else []


def watched(graph: Graph, subjects: Iterable[str]) -> list[str]:
    """The members (mon_/hbt_ ids) of every service the services of `subjects` need: whose
    states can change what the page shows without any resource on it changing."""
    services: dict[str, None] = {}
    for subject in subjects:
        service = graph.members.get(subject)
        if service is not None:
            services.update(dict.fromkeys(graph.dependencies(service)))
    return [subject for subject, owner in graph.members.items() if owner in services]


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def note(public_state: str, found: list[Cause]) -> str | None:
    """The words beside a resource: None when it shows no cause."""
    found = shown(public_state, found)
    if not found:
        return None
    names = [cause.name for cause in found]
    if public_state == "down":
        return f"Down — caused by {_names(names)}"
    return f"Affected: {_names(names)} {'is' if len(names) == 1 else 'are'} down"


def line(cause: CauseLine) -> str:
    """The banner's words for one cause."""
    named = f"{cause.name} ({', '.join(cause.shown_as)})" if cause.shown_as else cause.name
    return f"{named} is {cause.state}; {', '.join(cause.affected)} affected"


def lines(resources: Iterable[tuple[str, list[str], list[Cause]]]) -> list[CauseLine]:
    """The banner's causes from the page's resources in order, each (public name, the services its
    own subjects belong to, the causes it shows): one line per cause, in the order they first
    appear, naming the resources each affects and the page's members of the failing service."""
    resources = list(resources)
    out: dict[str, CauseLine] = {}
    for name, _, found in resources:
        for cause in found:
            entry = out.setdefault(cause.service_id, CauseLine(cause.name, cause.state, [], []))
            if name not in entry.affected:
                entry.affected.append(name)
    for name, own, _ in resources:
        for service in own:
            if service in out and name not in out[service].shown_as:
                out[service].shown_as.append(name)
    return list(out.values())
