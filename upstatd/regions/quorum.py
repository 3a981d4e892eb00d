"""A monitor's state from its regions' states, by quorum (docs/regions.md, "Quorum").

Each region confirms its own results into its own state. Only fresh regions
count: their agent is up and their latest result is no older than
2 × interval + timeout. With n fresh regions a quorum needs `need` of them:
majority floor(n / 2) + 1, a number (at most n), any 1, all n. The monitor is

1. down when at least `need` fresh regions are down;
2. else degraded when at least `need` are down or degraded;
3. else up when at least n - need + 1 are up (down could not reach the quorum
   even if every other region went down);
4. else it keeps its state (regions still pending, or no fresh region).

One region, whatever the quorum, behaves as the one-region daemon always has:
the monitor takes that region's state, and keeps its own while it is pending.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

KINDS = ("majority", "count", "any", "all")
REGION_STATES = ("pending", "up", "degraded", "down")
FRESH_INTERVALS = 2     # a region's latest result counts for 2 × interval + timeout


class Quorum(NamedTuple):
    kind: str           # majority | count | any | all
    count: int = 0      # the number of regions, for kind "count"

    def value(self) -> str | int:
        """The quorum as YAML and the API write it: "majority", "any", "all" or a number."""
        return self.count if self.kind == "count" else self.kind


MAJORITY = Quorum("majority")


def parse_quorum(value: object) -> Quorum:
    """A monitor's `quorum` from YAML or the API: majority, any, all or a number >= 1."""
    if isinstance(value, str) and value in ("majority", "any", "all"):
        return Quorum(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return Quorum("count", value)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise ValueError(f"quorum must be majority, any, all or a number of regions (1 or more), not {shown}")


def needed(quorum: Quorum, fresh: int) -> int:
    """How many of `fresh` regions make a quorum; 0 when no region is fresh."""
    if fresh <= 0:
        return 0
    if quorum.kind == "majority":
        return fresh // 2 + 1
    if quorum.kind == "count":
        return min(quorum.count, fresh)
    if quorum.kind == "any":
        return 1
    if quorum.kind == "all":
        return fresh
    raise ValueError(f"unknown quorum kind {quorum.kind!r}")


def judge(states: Mapping[str, str], quorum: Quorum) -> str | None:
    """The monitor's state from its fresh regions' states ({region: state});
    None: keep the current state."""
    counts = dict.fromkeys(REGION_STATES, 0)
    for region, state in states.items():
        if state not in counts:
            raise ValueError(f"region {region!r} has state {state!r}, not one of {', '.join(REGION_STATES)}")
        counts[state] += 1
    fresh = len(states)
    need = needed(quorum, fresh)
    if fresh == 0:
        return None
    if counts["down"] >= need:
        return "down"
    if counts["down"] + counts["degraded"] >= need:
        return "degraded"
    if counts["up"] >= fresh - need + 1:
        return "up"
    return None


def seen_down(states: Mapping[str, str]) -> tuple[str, ...]:
    """The regions that see the monitor down, sorted: the incident names them."""
    return tuple(sorted(region for region, state in states.items() if state == "down"))


def seen_degraded(states: Mapping[str, str]) -> tuple[str, ...]:
    """The regions that see the monitor degraded, sorted."""
    return tuple(sorted(region for region, state in states.items() if state == "degraded"))


def fresh_until(last_result_at: float, interval: float, timeout: float) -> float:
    """When a region's latest result stops counting: 2 × interval + timeout after it
    (so one late or lost probe does not drop the region from the quorum). From
    that time on it is stale: a timer set for it finds it so."""
    return last_result_at + FRESH_INTERVALS * interval + timeout


def is_fresh(last_result_at: float | None, now: float, interval: float, timeout: float) -> bool:
    """Whether a region's latest result still counts at `now` (no result: it does not)."""
    return last_result_at is not None and now < fresh_until(last_result_at, interval, timeout)
