"""Overrides: absolute spans that start and end mid-shift, the newest winning
where they overlap; an override by the person already on call is not a handoff."""

from __future__ import annotations

import pytest

from upstatd.oncall.layers import Restriction
from upstatd.oncall.rotations import Override, next_handoff, shifts

from oncallkit import layer, rows, schedule, shown, utc

# a 05-01 09:00, b 05-02, a 05-03, b 05-04 09:00, a 05-05 09:00, ...
DAILY = layer("a b", "2026-05-01T09:00", "daily")
Z_MID = Override("usr_z", utc("2026-05-04T12:00:00"), utc("2026-05-05T12:00:00"))   # mid b's to mid a's shift
Y_OVER_Z = Override("usr_y", utc("2026-05-05T06:00:00"), utc("2026-05-05T18:00:00"))
A_EARLY = Override("usr_a", utc("2026-05-03T20:00:00"), utc("2026-05-04T10:00:00"))  # a stays an hour longer
RANGE = ("2026-05-04T00:00:00", "2026-05-06T00:00:00")


@pytest.mark.parametrize("overrides, expected", [
    ((Z_MID,), [
        ("a", "2026-05-04T00:00:00", "2026-05-04T09:00:00", "layer 0"),
        ("b", "2026-05-04T09:00:00", "2026-05-04T12:00:00", "layer 0"),
        ("z", "2026-05-04T12:00:00", "2026-05-05T12:00:00", "override 0"),
        ("a", "2026-05-05T12:00:00", "2026-05-06T00:00:00", "layer 0")]),
    ((Z_MID, Y_OVER_Z), [                                  # the newer (later) one wins the overlap
        ("a", "2026-05-04T00:00:00", "2026-05-04T09:00:00", "layer 0"),
        ("b", "2026-05-04T09:00:00", "2026-05-04T12:00:00", "layer 0"),
        ("z", "2026-05-04T12:00:00", "2026-05-05T06:00:00", "override 0"),
        ("y", "2026-05-05T06:00:00", "2026-05-05T18:00:00", "override 1"),
        ("a", "2026-05-05T18:00:00", "2026-05-06T00:00:00", "layer 0")]),
    ((Y_OVER_Z, Z_MID), [                                  # swapped: z is newer, y shows after z ends
        ("a", "2026-05-04T00:00:00", "2026-05-04T09:00:00", "layer 0"),
        ("b", "2026-05-04T09:00:00", "2026-05-04T12:00:00", "layer 0"),
        ("z", "2026-05-04T12:00:00", "2026-05-05T12:00:00", "override 1"),
        ("y", "2026-05-05T12:00:00", "2026-05-05T18:00:00", "override 0"),
        ("a", "2026-05-05T18:00:00", "2026-05-06T00:00:00", "layer 0")]),
    ((A_EARLY,), [
        ("a", "2026-05-04T00:00:00", "2026-05-04T10:00:00", "override 0"),
        ("b", "2026-05-04T10:00:00", "2026-05-05T09:00:00", "layer 0"),
        ("a", "2026-05-05T09:00:00", "2026-05-06T00:00:00", "layer 0")]),
])
def test_it_lets_overrides_cover_parts_of_shifts(overrides, expected):
    assert rows(shifts(schedule(DAILY, overrides=overrides), *map(utc, RANGE))) == expected


def test_an_override_covers_where_a_restricted_layer_leaves_nobody():
    workday = layer("w", "2026-05-01T00:00", "weekly", restrictions=[Restriction(("mon",), "09:00", "17:00")])
    late = Override("usr_o", utc("2026-05-04T16:00:00"), utc("2026-05-04T20:00:00"))
    assert rows(shifts(schedule(workday, overrides=(late,)), utc("2026-05-04T00:00:00"),
                       utc("2026-05-05T00:00:00"))) == [
        ("w", "2026-05-04T09:00:00", "2026-05-04T16:00:00", "layer 0"),
        ("o", "2026-05-04T16:00:00", "2026-05-04T20:00:00", "override 0")]


@pytest.mark.parametrize("overrides, at, handoff, user", [
    ((), "2026-05-03T10:00:00", "2026-05-04T09:00:00", "b"),
    ((A_EARLY,), "2026-05-03T10:00:00", "2026-05-04T10:00:00", "b"),   # a -> a (override) is no handoff
    ((Z_MID,), "2026-05-04T10:00:00", "2026-05-04T12:00:00", "z"),
    ((Z_MID,), "2026-05-04T12:00:00", "2026-05-05T12:00:00", "a"),    # z's end, inside a's shift
])
def test_it_hands_off_at_override_edges(overrides, at, handoff, user):
    when, who = next_handoff(schedule(DAILY, overrides=overrides), utc(at))
    assert (shown(when), who.user) == (handoff, f"usr_{user}")
