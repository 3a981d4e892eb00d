"""Maintenance windows on a status page (pure): which windows cover a resource,
what a window shows now (its occurrence in progress, else its next one
starting within UPCOMING_DAYS), and the occurrences that mark the daily bars.

One entry per window: a recurring window shows the occurrence on now, or its
next one, never a list (the API's `upcoming` has more). An occurrence in
progress ends where its stretch of overlapping occurrences does
(windows.next_change), the moment the targets leave maintenance.

The bars only ask whether an occurrence touched a day. A window with more
than DENSE occurrences in the 90 days (every few minutes) is asked day by day
for its first one, and the answer for a day that is over is kept: such rules
are costly to walk in full on every rebuild of the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from upstatd.maintenance.windows import Occurrence, Window, active_at, next_change, occurrences

UPCOMING_DAYS = 14
DENSE = 500   # occurrences over the bars' days past which a window is asked day by day


class Planned(NamedTuple):
    start: float   # Unix s
    end: float
    ongoing: bool  # in progress at `now`


def covers(window, kind: str, subject_id: str) -> bool:
    """Whether `window` (a store.maintenance.WindowRow) names the page resource's subject:
    `kind` is the resource's (monitor, heartbeat), `subject_id` its mon_/hbt_ id."""
    if kind == "monitor":
        return subject_id in window.monitor_ids
    if kind == "heartbeat":
        return subject_id in window.heartbeat_ids
    return False


def planned(window: Window, now: float, ahead: float = UPCOMING_DAYS * 86400.0) -> Planned | None:
    """The occurrence in progress at `now`, else the next one starting within `ahead` s; None: neither."""
    on = active_at(window, now)
    if on is not None:
        change = next_change(window, now)
        end = change[0] if change is not None and change[1] == "end" else on.end
        return Planned(on.start, max(on.end, end), True)
    ahead_of = occurrences(window, now, now + ahead, limit=1)  # none is on now: each starts after it
    return Planned(ahead_of[0].start, ahead_of[0].end, False) if ahead_of else None


def past(window: Window, days: Sequence[tuple[float, float]], now: float) -> list[Occurrence]:
    """Occurrences that touched the local `days` ((start, end) Unix s, oldest first, the last
    one today) up to `now`: all of them, or for a dense window the first of each day."""
    if not days:
        return []
    found = occurrences(window, days[0][0], now, limit=DENSE)
    if len(found) < DENSE:
        return found
    out = []
    for start, end in days:
        first = _first(window, start, end) if end < now else _first_uncached(window, start, min(end, now))
        if first is not None:
            out.append(first)
    return out


def _first_uncached(window: Window, start: float, end: float) -> Occurrence | None:
    found = occurrences(window, start, end, limit=1) if end > start else []
    return found[0] if found else None


@lru_cache(maxsize=8192)  # a day that is over keeps its answer (Window is frozen: hashable)
def _first(window: Window, start: float, end: float) -> Occurrence | None:
    return _first_uncached(window, start, end)
