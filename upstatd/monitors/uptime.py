"""Uptime and latency figures: pure functions over stored history.

Uptime is time-weighted: each state a monitor entered lasts until the next
state change. Time `up` or `degraded` (a correct answer, only slow) counts
for, time `down` against; time `pending` (no confirmed result yet), in
`maintenance`, before the monitor existed or while it was paused is left
out of both sides. Times are integers (Unix ms) and the division is done on
fractions, so a constructed history gives the exact figure: 36 minutes down
in 24 hours is 97.5, not 97.49999999999999.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

GOOD = frozenset(("up", "degraded"))
BAD = frozenset(("down",))


def merge_spans(spans: Sequence[tuple[int, int | None]], start: int, end: int) -> list[tuple[int, int]]:
    """Spans clipped to [start, end), a None end meaning `end`, sorted and joined where they overlap."""
    clipped = sorted((max(s, start), min(end if e is None else e, end)) for s, e in spans)
    out: list[tuple[int, int]] = []
    for s, e in clipped:
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


NEVER = 2 ** 62  # "still going": an open pause, the current state


class Timeline(NamedTuple):
    """A history and its pauses folded into spans that each count one way, with the
    time counted before each: the counted time of any window is two bisections, so
    a list's three windows per item cost nothing once the timeline is made."""
    starts: list[int]   # span i runs from starts[i] to starts[i + 1]; the last one goes on
    kinds: list[int]    # 1 counts for (up, degraded), -1 against (down), 0 not at all
    good: list[int]     # good time before starts[i]
    bad: list[int]


def timeline(history: Sequence[tuple[int, str]], pauses: Sequence[tuple[int, int | None]]) -> Timeline:
    """`history`: (time, state entered at that time), in time order; nothing is known
    before its first entry. `pauses`: (paused at, resumed at or None), any order."""
    paused = merge_spans(pauses, -NEVER, NEVER)
    spans: list[tuple[int, int]] = []   # (start, kind), each running to the next one's start

    def add(start: int, kind: int) -> None:
        if spans and spans[-1][0] == start:
            spans.pop()
        if not spans or spans[-1][1] != kind:
            spans.append((start, kind))

    p = 0
    for index, (at, state) in enumerate(history):
        until = history[index + 1][0] if index + 1 < len(history) else NEVER
        kind = 1 if state in GOOD else -1 if state in BAD else 0
        while p < len(paused) and paused[p][1] <= at:
            p += 1
        start, q = at, p
        while start < until:   # the segment [at, until), cut by the pauses inside it
            if q < len(paused) and paused[q][0] <= start:
                add(start, 0)
                start = min(paused[q][1], until)
                if paused[q][1] <= until:
                    q += 1
                else:
                    break
            else:
                add(start, kind)
                start = min(paused[q][0], until) if q < len(paused) else until
    starts, kinds, good, bad = [], [], [], []
    total_good = total_bad = 0
    for index, (start, kind) in enumerate(spans):
        if index:
            length = start - spans[index - 1][0]
            if spans[index - 1][1] > 0:
                total_good += length
            elif spans[index - 1][1] < 0:
                total_bad += length
        starts.append(start)
        kinds.append(kind)
        good.append(total_good)
        bad.append(total_bad)
    return Timeline(starts, kinds, good, bad)


def _before(line: Timeline, at: int) -> tuple[int, int]:
    index = bisect.bisect_right(line.starts, at) - 1
    if index < 0:
        return 0, 0
    good, bad, extra = line.good[index], line.bad[index], at - line.starts[index]
    if line.kinds[index] > 0:
        good += extra
    elif line.kinds[index] < 0:
        bad += extra
    return good, bad


def counted(line: Timeline, start: int, end: int) -> tuple[int, int]:
    """(good, bad) time inside [start, end)."""
    if end <= start:
        return 0, 0
    (good_end, bad_end), (good_start, bad_start) = _before(line, end), _before(line, start)
    return good_end - good_start, bad_end - bad_start


def percent(good: int, bad: int) -> float | None:
    return None if good + bad == 0 else float(Fraction(100 * good, good + bad))


def counted_time(history: Sequence[tuple[int, str]], pauses: Sequence[tuple[int, int | None]],
                 start: int, end: int) -> tuple[int, int]:
    """(good, bad) time inside [start, end) (see timeline for the arguments)."""
    return counted(timeline(history, pauses), start, end)


def uptime(history: Sequence[tuple[int, str]], pauses: Sequence[tuple[int, int | None]],
           start: int, end: int) -> float | None:
    """Percentage of the counted time in [start, end) that was up (or degraded);
    None when no time in the window counts (never confirmed, or paused throughout)."""
    return percent(*counted_time(history, pauses, start, end))


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of values sorted ascending (p in 0-100); None when empty."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
