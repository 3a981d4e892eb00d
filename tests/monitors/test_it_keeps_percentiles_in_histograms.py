"""Latency histograms (monitors/histogram.py), pure: buckets 9 % wide, merged
by adding counts; a percentile from a histogram is the raw nearest-rank
percentile or at most one bucket (9 %) above it, never below."""

from __future__ import annotations

import random

import pytest

from upstatd.monitors import histogram
from upstatd.monitors.uptime import percentile as raw_percentile


@pytest.mark.parametrize("ms, index", [
    (0.0, 0), (0.01, 0), (0.0101, 1), (0.02, 8), (0.04, 16), (1.0, 54), (1000.0, 133), (10 ** 9, histogram.LAST),
])
def test_a_value_falls_in_its_log_bucket(ms, index):
    assert histogram.bucket(ms) == index
    assert ms <= histogram.upper(index) or index == histogram.LAST
    assert index == 0 or ms > histogram.upper(index - 1)


@pytest.mark.parametrize("p", [50, 95, 99, 100])
@pytest.mark.parametrize("seed", range(5))
def test_a_percentile_is_the_raw_one_or_at_most_one_bucket_above(p, seed):
    rng = random.Random(seed)
    values = [rng.lognormvariate(3, 1) for _ in range(rng.randint(1, 3000))]
    exact = raw_percentile(sorted(values), p)
    got = histogram.percentile(histogram.of(values), p, min(values), max(values))
    assert exact <= got <= exact * 2 ** (1 / histogram.STEPS) + 1e-9


def test_merged_histograms_answer_as_the_whole():
    rng = random.Random(7)
    hours = [[rng.uniform(1, 500) for _ in range(60)] for _ in range(24)]
    day = histogram.merge(histogram.of(hour) for hour in hours)
    assert day == histogram.of([value for hour in hours for value in hour])
    # as stored (JSON keys are strings)
    assert histogram.merge([{str(k): v for k, v in day.items()}]) == day


def test_an_empty_histogram_has_no_percentile():
    assert histogram.percentile({}, 95) is None
