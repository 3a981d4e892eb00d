"""on_call_at over plain rotations: a weekly rotation of three handing off on
Fridays at 10:00 in Europe/Riga (the issue's example), a 12-hour rotation, an
every-3-days one, layers on top of each other, an empty layer, before the first
handoff."""

from __future__ import annotations

import pytest

from upstatd.oncall.rotations import OnCall, Source, on_call_at

from oncallkit import layer, schedule, utc

# Fridays 10:00 Riga: 08:00Z in winter (EET), 07:00Z in summer (EEST, from 2026-03-29)
WEEKLY = layer("a b c", "2026-03-06T10:00", "weekly", "Europe/Riga")
TWELVE = layer("x y", "2026-05-01T08:00", "12h")
THREE_DAYS = layer("p q", "2026-05-01T00:00", "3d", "America/New_York")   # 04:00Z in summer (EDT)
NOBODY = layer("", "2026-01-01T00:00", "daily")


@pytest.mark.parametrize("layers, at, user, source", [
    ((WEEKLY,), "2026-03-06T07:59:59", None, None),           # before the first handoff: nobody
    ((WEEKLY,), "2026-03-06T08:00:00", "a", 0),
    ((WEEKLY,), "2026-03-13T07:59:59", "a", 0),
    ((WEEKLY,), "2026-03-13T08:00:00", "b", 0),
    ((WEEKLY,), "2026-03-20T08:00:00", "c", 0),
    ((WEEKLY,), "2026-03-27T08:00:00", "a", 0),              # round again
    ((WEEKLY,), "2026-04-03T06:59:59", "a", 0),
    ((WEEKLY,), "2026-04-03T07:00:00", "b", 0),              # 10:00 EEST
    ((WEEKLY,), "2026-12-25T07:59:59", "c", 0),              # the 42nd handoff, back in winter time
    ((WEEKLY,), "2026-12-25T08:00:00", "a", 0),
    ((TWELVE,), "2026-05-01T19:59:59", "x", 0),
    ((TWELVE,), "2026-05-01T20:00:00", "y", 0),
    ((TWELVE,), "2026-05-03T09:00:00", "x", 0),              # the 4th shift
    ((THREE_DAYS,), "2026-05-04T03:59:59", "p", 0),
    ((THREE_DAYS,), "2026-05-04T04:00:00", "q", 0),
    ((THREE_DAYS,), "2026-05-07T04:00:00", "p", 0),
    ((TWELVE, WEEKLY), "2026-05-01T09:00:00", "c", 1),       # the later layer wins where it covers (8th handoff)
    ((WEEKLY, TWELVE), "2026-05-01T09:00:00", "x", 1),
    ((TWELVE, WEEKLY), "2026-03-06T07:00:00", None, None),   # neither has started
    ((TWELVE, NOBODY), "2026-05-01T09:00:00", "x", 0),       # an empty layer covers nothing
    ((NOBODY,), "2026-05-01T09:00:00", None, None),
    ((), "2026-05-01T09:00:00", None, None),
])
def test_it_says_who_is_on_call(layers, at, user, source):
    expected = None if user is None else OnCall(f"usr_{user}", Source("layer", source))
    assert on_call_at(schedule(*layers), utc(at)) == expected
