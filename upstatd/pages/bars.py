"""The daily uptime bars of a status page: one per local day of the page's
time zone (days have 23 or 25 hours across DST changes), the day's uptime
from the resource's timeline (exact, as /status), its incidents and whether
maintenance touched it. Pure.
"""

from __future__ import annotations

import bisect
import datetime
import functools
from collections.abc import Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from upstatd.monitors.uptime import Timeline, counted

DAYS = 90
# (at least this uptime, level): the bar's colour class; below the last, "bad"
LEVELS = ((99.9, "good"), (99.0, "fair"), (95.0, "poor"))


class Bar(NamedTuple):
    date: str                 # YYYY-MM-DD in the page's zone
    uptime: float | None      # percent; None: nothing counted (before it existed, paused, unknown)
    level: str                # good, fair, poor, bad, none
    incidents: int            # incidents that started that day
    maintenance: bool         # a maintenance window overlapped the day

    @property
    def title(self) -> str:
        """The bar's tooltip (a `title` attribute: no script needed)."""
        parts = [self.date, "no data" if self.uptime is None else f"{self.uptime:.2f}% uptime"]
        if self.incidents:
            parts.append(f"{self.incidents} incident{'s' if self.incidents > 1 else ''}")
        if self.maintenance:
            parts.append("maintenance")
        return " · ".join(parts)


def percent(good: int, bad: int) -> float | None:
    """monitors.uptime.percent without its Fraction: int true division is correctly rounded
    too, so the float is the same, at a tenth of the cost (a page has 9,000 bars)."""
    total = good + bad
    return None if total == 0 else 100 * good / total


def level(uptime: float | None) -> str:
    if uptime is None:
        return "none"
    for floor, name in LEVELS:
        if uptime >= floor:
            return name
    return "bad"


# Every resource of a page is drawn at the same now_ms: the days are made once per render,
# not once per resource (they were 40 % of a 100-resource page's bars).
@functools.lru_cache(maxsize=16)
def day_bounds(now_ms: int, zone: ZoneInfo, days: int = DAYS) -> tuple[tuple[str, int, int], ...]:
    """(date, start ms, end ms) of the last `days` local days, oldest first; today ends now."""
    today = datetime.datetime.fromtimestamp(now_ms / 1000, zone).date()
    out = []
    for back in range(days - 1, -1, -1):
        day = today - datetime.timedelta(days=back)
        start = datetime.datetime.combine(day, datetime.time(), zone)
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), zone)
        out.append((day.isoformat(), round(start.timestamp() * 1000), min(round(end.timestamp() * 1000), now_ms)))
    return tuple(out)


def daily(line: Timeline, now_ms: int, zone: ZoneInfo, incidents: Sequence[int] = (),
          maintenance: Sequence[tuple[int, int]] = (), days: int = DAYS) -> list[Bar]:
    """`incidents`: start times (ms) of the resource's incidents; `maintenance`: (start, end) ms."""
    bounds = day_bounds(now_ms, zone, days)
    bars = []
    starts = sorted(incidents)  # each day counts its own by bisection, not by a pass over them all
    for (date, start, end), touched in zip(bounds, _touched(bounds, maintenance)):
        uptime = percent(*counted(line, start, end))
        bars.append(Bar(date, uptime, level(uptime),
                        bisect.bisect_left(starts, end) - bisect.bisect_left(starts, start), touched))
    return bars


def _touched(bounds: Sequence[tuple[str, int, int]], spans: Sequence[tuple[int, int]]) -> list[bool]:
    """Whether a span overlaps each day: one sweep over the spans merged (disjoint, in order),
    not every span for every day (a daily window gives 90 of them, on each resource)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, i = [], 0
    for _, start, end in bounds:
        while i < len(merged) and merged[i][1] <= start:
            i += 1
        out.append(i < len(merged) and merged[i][0] < end)
    return out


def overall(line: Timeline, now_ms: int, zone: ZoneInfo, days: int = DAYS) -> float | None:
    """The uptime over the bars' whole span."""
    bounds = day_bounds(now_ms, zone, days)
    return percent(*counted(line, bounds[0][1], now_ms))
