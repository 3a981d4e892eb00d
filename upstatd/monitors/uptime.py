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

import math
from collections.abc import Sequence
from fractions import Fraction

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


def _overlap(spans: list[tuple[int, int]], start: int, end: int) -> int:
    return sum(max(0, min(e, end) - max(s, start)) for s, e in spans if s < end and e > start)


def counted_time(history: Sequence[tuple[int, str]], pauses: Sequence[tuple[int, int | None]],
                 start: int, end: int) -> tuple[int, int]:
    """(good, bad) time inside [start, end).

    `history`: (time, state entered at that time), in time order; nothing is
    known before its first entry. `pauses`: (paused at, resumed at or None)."""
    paused = merge_spans(pauses, start, end)
    good = bad = 0
    for index, (at, state) in enumerate(history):
        if state not in GOOD and state not in BAD:
            continue
        until = history[index + 1][0] if index + 1 < len(history) else end
        seg_start, seg_end = max(at, start), min(until, end)
        if seg_end <= seg_start:
            continue
        length = seg_end - seg_start - _overlap(paused, seg_start, seg_end)
        if state in GOOD:
            good += length
        else:
            bad += length
    return good, bad


def uptime(history: Sequence[tuple[int, str]], pauses: Sequence[tuple[int, int | None]],
           start: int, end: int) -> float | None:
    """Percentage of the counted time in [start, end) that was up (or degraded);
    None when no time in the window counts (never confirmed, or paused throughout)."""
    good, bad = counted_time(history, pauses, start, end)
    if good + bad == 0:
        return None
    return float(Fraction(100 * good, good + bad))


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of values sorted ascending (p in 0-100); None when empty."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
