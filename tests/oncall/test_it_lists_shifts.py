"""shifts: clipped to the range, gaps left out, touching pieces of one user from
one source joined, bounded; and, over random weeks of a layered schedule with
overrides (a fixed seed), the same answer as on_call_at asked every minute."""

from __future__ import annotations

import bisect
import random

import pytest

from upstatd.oncall.layers import Restriction, RotationError
from upstatd.oncall.rotations import Override, next_handoff, on_call_at, shifts

from oncallkit import layer, rows, schedule, utc

DAILY = layer("a b", "2026-05-01T09:00", "daily")
ALONE = layer("s", "2026-05-01T09:00", "daily")
SAME_TWICE = layer("a a", "2026-05-01T09:00", "12h")
WORKDAY = layer("w", "2026-05-01T00:00", "weekly", restrictions=[Restriction(("mon", "tue"), "09:00", "17:00")])


@pytest.mark.parametrize("sched, since, until, expected", [
    (schedule(DAILY), "2026-05-02T00:00:00", "2026-05-04T00:00:00", [   # clipped at both ends
        ("a", "2026-05-02T00:00:00", "2026-05-02T09:00:00", "layer 0"),
        ("b", "2026-05-02T09:00:00", "2026-05-03T09:00:00", "layer 0"),
        ("a", "2026-05-03T09:00:00", "2026-05-04T00:00:00", "layer 0")]),
    (schedule(DAILY), "2026-04-30T00:00:00", "2026-05-01T12:00:00", [   # before the first handoff: a gap
        ("a", "2026-05-01T09:00:00", "2026-05-01T12:00:00", "layer 0")]),
    (schedule(ALONE), "2026-05-02T00:00:00", "2026-05-09T00:00:00", [   # one person: one shift
        ("s", "2026-05-02T00:00:00", "2026-05-09T00:00:00", "layer 0")]),
    (schedule(SAME_TWICE), "2026-05-02T00:00:00", "2026-05-03T00:00:00", [
        ("a", "2026-05-02T00:00:00", "2026-05-03T00:00:00", "layer 0")]),
    (schedule(WORKDAY), "2026-05-04T00:00:00", "2026-05-06T00:00:00", [  # Mon, Tue: two spans, not joined
        ("w", "2026-05-04T09:00:00", "2026-05-04T17:00:00", "layer 0"),
        ("w", "2026-05-05T09:00:00", "2026-05-05T17:00:00", "layer 0")]),
    (schedule(ALONE, WORKDAY), "2026-05-04T08:00:00", "2026-05-04T18:00:00", [  # same user? no: sources differ
        ("s", "2026-05-04T08:00:00", "2026-05-04T09:00:00", "layer 0"),
        ("w", "2026-05-04T09:00:00", "2026-05-04T17:00:00", "layer 1"),
        ("s", "2026-05-04T17:00:00", "2026-05-04T18:00:00", "layer 0")]),
    (schedule(DAILY), "2026-05-02T00:00:00", "2026-05-02T00:00:00", []),  # an empty range
    (schedule(), "2026-05-02T00:00:00", "2026-05-03T00:00:00", []),
])
def test_it_lists_shifts(sched, since, until, expected):
    assert rows(shifts(sched, utc(since), utc(until))) == expected


def test_it_bounds_the_range_and_the_count():
    with pytest.raises(RotationError) as caught:
        shifts(schedule(DAILY), utc("2026-01-01T00:00:00"), utc("2027-02-05T00:00:01"))   # 400 days + 1 s
    assert caught.value.param == "to" and "400 days" in str(caught.value)
    with pytest.raises(RotationError) as caught:
        shifts(schedule(DAILY), utc("2026-05-02T00:00:00"), utc("2026-05-01T00:00:00"))
    assert caught.value.param == "to"
    year = shifts(schedule(layer("a b", "2026-01-01T00:00", "1h")), utc("2026-01-01T00:00:00"),
                  utc("2027-02-05T00:00:00"))
    assert len(year) == 5000                                           # MAX_SHIFTS of 9,600
    assert len(shifts(schedule(DAILY), utc("2026-05-01T00:00:00"), utc("2026-06-01T00:00:00"), limit=3)) == 3


RIGA, NEW_YORK = "Europe/Riga", "America/New_York"
NIGHTS = Restriction(("mon", "tue", "wed", "thu", "fri"), "18:00", "08:00")
BUSINESS = Restriction(("mon", "tue", "wed", "thu", "fri"), "09:00", "17:00")
LAYERED = [
    layer("a b c", "2026-01-02T10:00", "weekly", RIGA),
    layer("x y", "2026-01-01T07:00", "12h", NEW_YORK),
    layer("n m", "2026-01-01T18:00", "daily", RIGA, [NIGHTS]),
    layer("", "2026-01-01T00:00", "daily"),
    layer("d e f", "2026-01-05T09:00", "2d", NEW_YORK, [BUSINESS]),
]
WEEK = 7 * 86400
# random weeks, and the four DST weekends of Riga and New York
WEEKS = [utc("2026-03-26T00:00:00"), utc("2026-10-22T00:00:00"), utc("2026-03-05T00:00:00"),
         utc("2026-10-29T00:00:00")]
_seeded = random.Random(16)
WEEKS += [utc("2026-01-10T00:00:00") + _seeded.randrange(0, 330 * 86400) for _ in range(4)]


def _overrides(rng: random.Random, since: float) -> tuple[Override, ...]:
    made = []
    for _ in range(6):
        start = since + rng.randrange(-86400, WEEK)
        made.append(Override(rng.choice(["usr_o", "usr_p", "usr_a"]), start, start + rng.randrange(600, 2 * 86400)))
    return tuple(made)


@pytest.mark.parametrize("since", WEEKS)
def test_shifts_agree_with_on_call_at_every_minute(since):
    rng = random.Random(int(since))
    sched = schedule(*LAYERED, overrides=_overrides(rng, since))
    found = shifts(sched, since, since + WEEK)
    starts = [item.start for item in found]
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))           # in order, no overlap
    assert not any(a.end == b.start and (a.user, a.source) == (b.user, b.source) for a, b in zip(found, found[1:]))
    offset = rng.randrange(60)   # not only on whole minutes
    for at in range(int(since) + offset, int(since) + WEEK, 60):
        index = bisect.bisect_right(starts, at) - 1
        covering = found[index] if index >= 0 and found[index].start <= at < found[index].end else None
        who = on_call_at(sched, at)
        assert (None if covering is None else (covering.user, covering.source)) == \
            (None if who is None else (who.user, who.source)), at


@pytest.mark.parametrize("since", WEEKS[:4])
def test_next_handoff_is_the_next_change_of_user_among_the_shifts(since):
    sched = schedule(*LAYERED, overrides=_overrides(random.Random(int(since)), since))
    found = shifts(sched, since, since + WEEK)
    changes = [b.start for a, b in zip(found, found[1:]) if a.end != b.start or a.user != b.user]
    changes += [a.end for a, b in zip(found, found[1:]) if a.end != b.start]   # nobody after somebody
    at, seen = since, []
    while True:
        at, who = next_handoff(sched, at)
        if at >= found[-1].end:
            break
        seen.append(at)
    assert seen == sorted(set(changes))
