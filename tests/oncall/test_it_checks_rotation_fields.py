"""check_layer and check_schedule: each unusable field refused with its name
(relative, for the YAML loader's file:line and the API's `param`)."""

from __future__ import annotations

import msgspec
import pytest

from upstatd.oncall.layers import Layer, Restriction, RotationError, check_layer
from upstatd.oncall.rotations import Override, Schedule, check_schedule

GOOD = Layer(("usr_a",), "2026-03-06T10:00", "weekly", "Europe/Riga")
NIGHTS = Restriction(("mon",), "18:00", "08:00")


def _with(**changes) -> Layer:
    return msgspec.structs.replace(GOOD, **changes)


@pytest.mark.parametrize("bad, param, says", [
    (_with(timezone="Mars/Olympus"), "timezone", "Mars/Olympus"),
    (_with(users=("usr_a", "")), "users[1]", "user id"),
    (_with(starts_at="next friday"), "starts_at", "2026-03-06T10:00"),
    (_with(starts_at="2026-03-06T10:00+02:00"), "starts_at", "without an offset"),
    (_with(starts_at="9999-12-31T10:00"), "starts_at", "2000-2200"),
    (_with(length="monthly"), "length", "daily, weekly"),
    (_with(length="0h"), "length", "<N>h"),
    (_with(length="9000h"), "length", "<N>h (1-8784)"),
    (_with(length="2w"), "length", "<N>d"),
    (_with(restrictions=(NIGHTS, Restriction((), "09:00", "17:00"))), "restrictions[1].days", "at least one day"),
    (_with(restrictions=(Restriction(("monday",), "09:00", "17:00"),)), "restrictions[0].days", "'monday'"),
    (_with(restrictions=(Restriction(("mon",), "9:00", "17:00"),)), "restrictions[0].start", "like 09:00"),
    (_with(restrictions=(Restriction(("mon",), "09:00", "24:00"),)), "restrictions[0].end", "00:00-23:59"),
])
def test_it_names_the_bad_layer_field(bad, param, says):
    with pytest.raises(RotationError) as caught:
        check_layer(bad)
    assert caught.value.param == param and says in str(caught.value)


@pytest.mark.parametrize("bad, param", [
    (Schedule((GOOD, _with(length="1y"))), "layers[1].length"),
    (Schedule((GOOD,), (Override("usr_b", 100.0, 200.0), Override("usr_b", 200.0, 200.0))), "overrides[1].ends_at"),
    (Schedule((), (Override("", 100.0, 200.0),)), "overrides[0].user"),
])
def test_it_names_the_bad_schedule_field(bad, param):
    with pytest.raises(RotationError) as caught:
        check_schedule(bad)
    assert caught.value.param == param


def test_it_takes_good_ones_as_they_are():
    good = Schedule((GOOD, _with(length="12h", restrictions=(NIGHTS,)), _with(users=())),
                    (Override("usr_b", 100.0, 200.0),))
    assert check_schedule(good) is good
