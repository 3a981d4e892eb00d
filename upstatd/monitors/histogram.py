"""Latency histograms that merge: how an hour's (or a day's, or 400 days')
checks keep their percentiles without keeping the checks. Pure.

A latency falls in a log-spaced bucket: bucket `i` holds values up to
`FLOOR_MS * 2 ** (i / STEPS)` (8 steps per doubling: each bucket is 9 %
wider than the one below). A histogram is a sparse {bucket: count} mapping;
two merge by adding counts, so an hourly rollup sums into a daily one and
days into any range. A percentile is nearest-rank, like
monitors/uptime.percentile over the raw values, answered as the upper bound
of the bucket the rank falls in, clamped to the exact min and max: at most
9 % above the raw figure, never below it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

FLOOR_MS = 0.01   # values up to 10 µs share bucket 0
STEPS = 8         # buckets per doubling
LAST = 240        # the top bucket (~ 10 min and more)


def bucket(ms: float) -> int:
    if ms <= FLOOR_MS:
        return 0
    return min(LAST, math.ceil(STEPS * math.log2(ms / FLOOR_MS) - 1e-9))


def upper(index: int) -> float:
    return FLOOR_MS * 2 ** (index / STEPS)


def of(values: Iterable[float]) -> dict[int, int]:
    out: dict[int, int] = {}
    for ms in values:
        index = bucket(ms)
        out[index] = out.get(index, 0) + 1
    return out


def merge(histograms: Iterable[Mapping[int | str, int]]) -> dict[int, int]:
    """Counts added bucket by bucket (keys may be JSON's strings: the result's are ints)."""
    out: dict[int, int] = {}
    for histogram in histograms:
        for index, count in histogram.items():
            out[int(index)] = out.get(int(index), 0) + count
    return out


def percentile(histogram: Mapping[int, int], p: float, low: float | None = None,
               high: float | None = None) -> float | None:
    """Nearest-rank percentile (p in 0-100), clamped to the exact `low`/`high` when known."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            value = upper(index)
            if high is not None:
                value = min(value, high)
            if low is not None:
                value = max(value, low)
            return value
    return high
