"""Maintenance windows on a status page (pure): what a window shows now (its
occurrence in progress, else its next one starting within UPCOMING_DAYS), and
the occurrences that mark the daily bars (which windows cover a resource: store/maintenance.covers).

One entry per window: a recurring window shows the occurrence on now, or its
next one, never a list (the API's `upcoming` has more). An occurrence in
progress ends where its stretch of overlapping occurrences does
(windows.next_change), the moment the targets leave maintenance.

The bars only ask whether an occurrence touched a day. A window with more
than DENSE occurrences in the 90 days (every few minutes) is asked day by day
for its first one. The answer for the days that are over is kept (until the
page's next midnight): walking a rule's starts over 90 days costs milliseconds,
and a page is rebuilt every 30 s.
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
    """Occurrences that touched the local `days` ((start, end) Unix s, oldest first, the last one
    today, ending `now`), enough to mark each: of the days that are over all of them (for a dense
    window the first of each day), of today the first. The days over keep their answer until the
    next midnight: a rebuild asks about today only."""
    if not days:
        return []
    *over, (today, _) = days
    found = _over(window, tuple(over)) if over else []
    first = occurrences(window, today, now, limit=1) if now > today else []
    return found + [item for item in first if item not in found[-1:]]  # one across midnight: once


@lru_cache(maxsize=1024)  # Window is frozen (hashable); a page's days change at its midnight
def _over(window: Window, days: tuple[tuple[float, float], ...]) -> list[Occurrence]:
    return _walk(window, days)


def _walk(window: Window, days: Sequence[tuple[float, float]]) -> list[Occurrence]:
    found = occurrences(window, days[0][0], days[-1][1], limit=DENSE)
    if len(found) < DENSE:
        return found
    firsts = (occurrences(window, start, end, limit=1) for start, end in days if end > start)
    return [first[0] for first in firsts if first]
