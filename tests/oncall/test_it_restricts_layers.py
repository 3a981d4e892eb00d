"""Restricted layers: business hours over a full-time layer, nights crossing
midnight (also on the spring-forward night in Riga), weekend days joined into one
shift, and a rotation that hands off inside a span (restrictions mask, not pause)."""

from __future__ import annotations

import pytest

from upstatd.oncall.layers import Restriction
from upstatd.oncall.rotations import on_call_at, shifts

from oncallkit import layer, rows, schedule, utc

RIGA = "Europe/Riga"                        # EEST (+3) in May
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
FULL = layer("f", "2026-01-01T00:00", "weekly", RIGA)
BUSINESS = layer("m", "2026-01-01T00:00", "weekly", RIGA, [Restriction(WEEKDAYS, "09:00", "17:00")])
NIGHTS = layer("n", "2026-01-01T00:00", "weekly", RIGA, [Restriction(WEEKDAYS, "18:00", "08:00")])
WEEKENDS = layer("e", "2026-01-01T00:00", "weekly", RIGA, [Restriction(("sat", "sun"), "00:00", "00:00")])


@pytest.mark.parametrize("top, at, user", [
    (BUSINESS, "2026-05-04T05:59:59", "f"),    # Monday 08:59:59 local
    (BUSINESS, "2026-05-04T06:00:00", "m"),    # 09:00
    (BUSINESS, "2026-05-04T13:59:59", "m"),
    (BUSINESS, "2026-05-04T14:00:00", "f"),    # 17:00: spans are [start, end)
    (BUSINESS, "2026-05-09T07:00:00", "f"),    # Saturday 10:00
    (NIGHTS, "2026-05-04T14:59:59", "f"),      # Monday 17:59:59
    (NIGHTS, "2026-05-04T15:00:00", "n"),      # 18:00
    (NIGHTS, "2026-05-04T21:30:00", "n"),      # Tuesday 00:30, the span started on Monday
    (NIGHTS, "2026-05-05T04:59:59", "n"),      # Tuesday 07:59:59
    (NIGHTS, "2026-05-05T05:00:00", "f"),      # 08:00
    (NIGHTS, "2026-05-08T23:00:00", "n"),      # Saturday 02:00: Friday's night
    (NIGHTS, "2026-05-09T23:00:00", "f"),      # Sunday 02:00: Saturday has no night
    (NIGHTS, "2026-05-03T23:00:00", "f"),      # Monday 02:00: Sunday has no night either
])
def test_a_restricted_layer_covers_only_its_spans(top, at, user):
    assert on_call_at(schedule(FULL, top), utc(at)).user == f"usr_{user}"


@pytest.mark.parametrize("restricted, since, until, expected", [
    # Friday 18:00 EET (16:00Z) to Saturday 08:00 EET: 14 h; the last night before the change
    (NIGHTS, "2026-03-27T12:00:00", "2026-03-28T12:00:00", [("n", "2026-03-27T16:00:00", "2026-03-28T06:00:00")]),
    # Sunday 2026-03-29 is no weekday; Monday 18:00 EEST (15:00Z) to Tuesday 08:00 (05:00Z)
    (NIGHTS, "2026-03-29T00:00:00", "2026-03-31T12:00:00", [("n", "2026-03-30T15:00:00", "2026-03-31T05:00:00")]),
    # Saturday 00:00 EET to Monday 00:00 EEST: the two days, 47 h, one shift
    (WEEKENDS, "2026-03-27T00:00:00", "2026-03-31T00:00:00", [("e", "2026-03-27T22:00:00", "2026-03-29T21:00:00")]),
])
def test_spans_follow_the_wall_clock(restricted, since, until, expected):
    found = rows(shifts(schedule(restricted), utc(since), utc(until)))
    assert [(user, start, end) for user, start, end, _ in found] == expected


def test_the_rotation_runs_on_under_the_restriction():
    # hands off at 12:00 UTC daily; covers 09:00-17:00 UTC on Mondays and Tuesdays only
    split = layer("p q", "2026-05-01T12:00", "daily", restrictions=[Restriction(("mon", "tue"), "09:00", "17:00")])
    assert rows(shifts(schedule(split), utc("2026-05-04T00:00:00"), utc("2026-05-06T00:00:00"))) == [
        ("p", "2026-05-04T09:00:00", "2026-05-04T12:00:00", "layer 0"),   # the shift begun 05-03 12:00
        ("q", "2026-05-04T12:00:00", "2026-05-04T17:00:00", "layer 0"),
        ("q", "2026-05-05T09:00:00", "2026-05-05T12:00:00", "layer 0"),   # not joined: a gap between
        ("p", "2026-05-05T12:00:00", "2026-05-05T17:00:00", "layer 0")]
