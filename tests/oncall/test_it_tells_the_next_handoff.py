"""next_handoff, what the wheel's handoff timer (on_call.changed) is armed from:
the next change of user, with who comes on; nobody counts as a change too."""

from __future__ import annotations

import pytest

from upstatd.oncall.layers import Restriction
from upstatd.oncall.rotations import next_handoff

from oncallkit import layer, schedule, shown, utc

WEEKLY = layer("a b c", "2026-03-06T10:00", "weekly", "Europe/Riga")
ALONE = layer("s", "2026-05-01T09:00", "daily")
WORKDAY = layer("w", "2026-05-01T00:00", "weekly", restrictions=[Restriction(("mon",), "09:00", "17:00")])


@pytest.mark.parametrize("layers, at, expected", [
    ((WEEKLY,), "2026-03-10T00:00:00", ("2026-03-13T08:00:00", "b")),
    ((WEEKLY,), "2026-03-13T08:00:00", ("2026-03-20T08:00:00", "c")),    # strictly after
    ((WEEKLY,), "2026-03-27T12:00:00", ("2026-04-03T07:00:00", "b")),    # over the spring change
    ((WEEKLY,), "2026-01-01T00:00:00", ("2026-03-06T08:00:00", "a")),    # before the start: nobody -> a
    ((WORKDAY,), "2026-05-04T10:00:00", ("2026-05-04T17:00:00", None)),  # somebody -> nobody
    ((WORKDAY,), "2026-05-04T17:00:00", ("2026-05-11T09:00:00", "w")),
    ((ALONE, WORKDAY), "2026-05-04T10:00:00", ("2026-05-04T17:00:00", "s")),
    ((ALONE,), "2026-05-04T10:00:00", None),                             # the same person for ever
    ((layer("a a", "2026-05-01T09:00", "daily"),), "2026-05-04T10:00:00", None),
    ((), "2026-05-04T10:00:00", None),
])
def test_it_tells_the_next_handoff(layers, at, expected):
    found = next_handoff(schedule(*layers), utc(at))
    if expected is None:
        assert found is None
    else:
        when, who = found
        assert (shown(when), None if who is None else who.user.removeprefix("usr_")) == expected


def test_it_looks_400_days_ahead_at_most():
    later = layer("l", "2027-03-01T00:00", "daily")   # starts 424 days after the question
    assert next_handoff(schedule(later), utc("2026-01-01T00:00:00")) is None
    assert shown(next_handoff(schedule(later), utc("2026-03-01T00:00:00"))[0]) == "2027-03-01T00:00:00"
