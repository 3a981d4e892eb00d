"""Uptime as a pure function of state changes and pauses: exact on constructed
histories (Unix ms in, percent out), paused and pending time left out."""

from __future__ import annotations

import pytest

from upstatd.monitors.uptime import counted, counted_time, merge_spans, percentile, timeline, uptime

M = 60_000          # a minute in ms
H = 60 * M
DAY = 24 * H
END = 100 * DAY     # "now"
START = END - DAY   # a 24 h window


def at(minutes_before_end: float) -> int:
    return END - round(minutes_before_end * M)


CASES = [
    # (name, history, pauses, expected percent over the last 24 h)
    ("up all day", [(0, "up")], [], 100.0),
    ("down 36 minutes in 24 h", [(0, "up"), (at(600), "down"), (at(564), "up")], [], 97.5),
    ("down at the very start of the window",
     [(0, "up"), (START - 10 * M, "down"), (START + 36 * M, "up")], [], 97.5),
    ("down now, for the last 36 minutes", [(0, "up"), (at(36), "down")], [], 97.5),
    ("degraded counts as up", [(0, "up"), (at(600), "degraded"), (at(300), "up")], [], 100.0),
    ("down half the day", [(0, "down"), (at(720), "up")], [], 50.0),
    ("created 12 h ago: pending until the first result is left out",
     [(at(720), "pending"), (at(719), "up"), (at(359), "down"), (at(358), "up")], [], 100 * 718 / 719),
    ("never confirmed", [(at(720), "pending")], [], None),
    ("no history at all", [], [], None),
    ("paused for the whole window", [(0, "up")], [(START - H, None)], None),
    ("a pause inside a down span leaves that time out",
     [(0, "up"), (at(600), "down"), (at(564), "up")], [(at(590), at(580))], 100 * 1404 / 1430),
    ("a pause still running at the end", [(0, "up"), (at(120), "down")], [(at(60), None)], 100 * 1320 / 1380),
    ("overlapping pauses count once",
     [(0, "down")], [(at(100), at(50)), (at(80), at(20)), (at(10), at(5))], 0.0),
    ("maintenance is left out", [(0, "up"), (at(120), "maintenance"), (at(60), "down")], [], 100 * 1320 / 1380),
    ("history before the window only sets the starting state",
     [(0, "down"), (START - DAY, "up")], [], 100.0),
    ("an up/down flap every minute",
     [(0, "up")] + [(at(m), "down" if m % 2 else "up") for m in range(1440, 0, -1)], [], 50.0),
]


@pytest.mark.parametrize("name, history, pauses, expected", CASES, ids=[case[0] for case in CASES])
def test_it_computes_uptime_exactly(name, history, pauses, expected):
    assert uptime(history, pauses, START, END) == expected


def test_it_gives_97_5_not_a_rounding_error():
    result = uptime([(0, "up"), (at(600), "down"), (at(564), "up")], [], START, END)
    assert repr(result) == "97.5"


def test_it_weighs_by_time_not_by_changes():
    good, bad = counted_time([(0, "up"), (at(600), "down"), (at(564), "up")],
                             [(at(10), at(4))], START, END)
    assert (good, bad) == ((1440 - 36 - 6) * M, 36 * M)


def test_it_merges_pause_spans():
    assert merge_spans([(5, 10), (0, 3), (8, 12), (12, 14), (20, None)], 1, 25) == [(1, 3), (5, 14), (20, 25)]
    assert merge_spans([(0, 5)], 10, 20) == []


@pytest.mark.parametrize("values, p, expected", [
    ([], 50, None),
    ([7.0], 95, 7.0),
    ([1, 2, 3, 4], 50, 2),
    ([1, 2, 3, 4], 95, 4),
    (list(range(1, 101)), 50, 50),
    (list(range(1, 101)), 95, 95),
    (list(range(1, 21)), 95, 19),
])
def test_it_takes_nearest_rank_percentiles(values, p, expected):
    assert percentile(values, p) == expected


def brute_force(history, pauses, start, end):
    """Minute by minute: the state in force, unless paused (histories on whole minutes)."""
    good = bad = 0
    for minute in range(start, end, M):
        if any(s <= minute < (END * 2 if e is None else e) for s, e in pauses):
            continue
        entered = [state for at, state in history if at <= minute]
        if entered and entered[-1] in ("up", "degraded"):
            good += M
        elif entered and entered[-1] == "down":
            bad += M
    return good, bad


@pytest.mark.parametrize("seed", range(40))
def test_it_counts_any_window_of_a_timeline_as_minute_by_minute(seed):
    import random
    rng = random.Random(seed)
    times = sorted(rng.sample(range(0, 600), rng.randint(0, 12)))
    history = [(t * M, rng.choice(("up", "down", "degraded", "pending", "maintenance"))) for t in times]
    pauses = []
    for _ in range(rng.randint(0, 4)):
        s = rng.randrange(0, 600)
        pauses.append((s * M, None if rng.random() < 0.2 else (s + rng.randint(0, 120)) * M))
    line = timeline(history, pauses)
    for _ in range(10):
        start, end = sorted(rng.sample(range(0, 700), 2))
        assert counted(line, start * M, end * M) == brute_force(history, pauses, start * M, end * M)
