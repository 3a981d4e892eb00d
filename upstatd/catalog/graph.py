"""The service graph, pure: which services a service needs (directly or through
others), which need it, whether a new dependency would close a cycle (and the
cycle's path), and a service's state from its members' states.

`needs` maps a service id to the ids it depends on directly. Every walk is
breadth first from the start, so "nearest first" is the order of the answer,
and ties keep the order the edges were given in (the callers sort them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Needs = Mapping[str, Iterable[str]]

# A service's state is its worst member's; the order runs worst first. A heartbeat
# that is late is failing but not yet down: the service is degraded meanwhile.
STATES = ("down", "degraded", "up", "maintenance", "paused", "unknown")
MEMBER_STATES = {"down": "down", "degraded": "degraded", "late": "degraded", "up": "up",
                 "maintenance": "maintenance", "paused": "paused"}   # pending, new: unknown


@dataclass(frozen=True)
class Graph:
    """What the catalog is at one moment: the edges, the names, and who belongs where."""
    needs: dict[str, tuple[str, ...]]     # svc -> the services it depends on, directly
    names: dict[str, str]                 # svc -> name
    members: dict[str, str]               # mon_/hbt_ -> svc
    # svc -> its members, in the order of `members`: an incident's opening asks it of each
    # dependency, and a scan of every member each time cost ms at 10,000 (BENCHMARKS.md)
    _by_service: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_service: dict[str, list[str]] = {}
        for subject, owner in self.members.items():
            by_service.setdefault(owner, []).append(subject)
        object.__setattr__(self, "_by_service", {owner: tuple(found) for owner, found in by_service.items()})

    def dependencies(self, service: str) -> list[str]:
        return dependencies(self.needs, service)

    def dependents(self, service: str) -> list[str]:
        return dependents(self.needs, service)

    def members_of(self, service: str) -> list[str]:
        return list(self._by_service.get(service, ()))


EMPTY = Graph({}, {}, {})


def _walk(edges: Mapping[str, Iterable[str]], start: str) -> list[str]:
    seen = {start}
    order: list[str] = []
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for next_node in edges.get(node, ()):
                if next_node not in seen:
                    seen.add(next_node)
                    order.append(next_node)
                    following.append(next_node)
        frontier = following
    return order


def reverse(needs: Needs) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for service, targets in needs.items():
        for target in targets:
            out.setdefault(target, []).append(service)
    return out


def dependencies(needs: Needs, service: str) -> list[str]:
    """Every service `service` needs, directly or through others, nearest first (not itself)."""
    return _walk(needs, service)


def dependents(needs: Needs, service: str) -> list[str]:
    """Every service that needs `service`, directly or through others, nearest first."""
    return _walk(reverse(needs), service)


def cycle(needs: Needs, service: str, depends_on: str) -> list[str] | None:
    """The cycle that "service needs depends_on" would close, as a path that starts and
    ends with `service` ([a, b, c, a]: a needs b, b needs c, c needs a); None: no cycle."""
    if service == depends_on:
        return [service, service]
    # a path depends_on -> ... -> service already there closes the loop; breadth first: the shortest
    parent: dict[str, str | None] = {depends_on: None}
    frontier = [depends_on]
    while frontier:
        following = []
        for node in frontier:
            for next_node in needs.get(node, ()):
                if next_node in parent:
                    continue
                parent[next_node] = node
                if next_node == service:
                    path = [service]
                    step: str | None = node
                    while step is not None:
                        path.append(step)
                        step = parent[step]
                    return [service, *reversed(path[1:]), service]
                following.append(next_node)
        frontier = following
    return None


def first_cycle(needs: Needs) -> list[str] | None:
    """A cycle anywhere in `needs` (a whole file's graph is checked at once), or None."""
    edges: dict[str, list[str]] = {}
    for service in sorted(needs):
        for target in needs[service]:
            found = cycle(edges, service, target)
            if found is not None:
                return found
            edges.setdefault(service, []).append(target)
    return None


def state(member_states: Iterable[str]) -> str:
    """A service's state: its worst member's (STATES); no members, or only new ones: unknown."""
    worst = len(STATES) - 1
    for member_state in member_states:
        rank = STATES.index(MEMBER_STATES.get(member_state, "unknown"))
        worst = min(worst, rank)
    return STATES[worst]
