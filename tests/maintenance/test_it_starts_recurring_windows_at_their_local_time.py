"""A recurring window starts at the wall-clock time it names, in its zone, for
all three kinds of rule, across daylight-saving changes in both directions
(RFC 5545's reading: a skipped time moves forward by the gap, a repeated one
is its first pass). Every expectation is an exact UTC instant.

Europe/Riga springs forward on 2026-03-29 at 03:00 EET (01:00Z) to 04:00 EEST,
and falls back on 2026-10-25 at 04:00 EEST (01:00Z) to 03:00 EET: local 03:00
to 03:59 happens twice that night, at 00:00Z-00:59Z and again at 01:00Z-01:59Z.
America/New_York springs forward on 2026-03-08 at 02:00 EST (07:00Z).
"""

from __future__ import annotations

import pytest

from upstatd.maintenance.windows import occurrences

from windowkit import recurring, shown, utc

RULES = {
    "rrule": "FREQ=DAILY;BYHOUR=3;BYMINUTE=30",
    "cron": "30 3 * * *",
    "oncalendar": "*-*-* 03:30",
}
SPRING = ["2026-03-27T01:30:00", "2026-03-28T01:30:00",
          "2026-03-29T01:30:00",   # 03:30 does not exist: 04:30 EEST, the instant 03:30 EET would be
          "2026-03-30T00:30:00"]   # 03:30 EEST
AUTUMN = ["2026-10-24T00:30:00",   # 03:30 EEST
          "2026-10-25T00:30:00",   # the first of the two 03:30s, and only that one
          "2026-10-26T01:30:00"]   # 03:30 EET


@pytest.mark.parametrize("kind", RULES)
@pytest.mark.parametrize("since, until, starts", [
    ("2026-03-27T00:00:00", "2026-03-31T00:00:00", SPRING),
    ("2026-10-24T00:00:00", "2026-10-27T00:00:00", AUTUMN),
])
def test_it_starts_at_the_named_local_time(kind, since, until, starts):
    window = recurring(kind, RULES[kind], 3600)
    found = occurrences(window, utc(since), utc(until))
    assert [shown(item.start) for item in found] == starts
    assert all(item.end - item.start == 3600 for item in found)  # elapsed seconds, whatever the clocks do


@pytest.mark.parametrize("kind, expression", [
    ("rrule", "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"), ("cron", "30 2 * * *"), ("oncalendar", "*-*-* 02:30")])
def test_it_moves_a_skipped_time_forward_by_the_gap(kind, expression):
    window = recurring(kind, expression, 1800, "America/New_York")
    found = occurrences(window, utc("2026-03-07T00:00:00"), utc("2026-03-10T00:00:00"))
    assert [shown(item.start) for item in found] == [
        "2026-03-07T07:30:00",   # 02:30 EST
        "2026-03-08T07:30:00",   # no 02:30 that night: 03:30 EDT
        "2026-03-09T06:30:00"]   # 02:30 EDT


def test_it_keeps_a_dtstart_and_until_in_wall_time():
    window = recurring("rrule", "DTSTART:20260327T033000\nRRULE:FREQ=DAILY;UNTIL=20260330T003000Z", 600)
    found = occurrences(window, utc("2026-03-01T00:00:00"), utc("2026-04-30T00:00:00"))
    assert [shown(item.start) for item in found] == SPRING  # UNTIL in Z: the instant, included


def test_it_follows_a_weekly_rule_in_winter_and_summer():
    window = recurring("rrule", "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", 7200)
    found = occurrences(window, utc("2026-03-20T00:00:00"), utc("2026-04-06T00:00:00"))
    assert [shown(item.start) for item in found] == [
        "2026-03-22T00:00:00", "2026-03-29T00:00:00",  # 02:00 EET (before the change that night)
        "2026-04-04T23:00:00"]  # Sunday 02:00 EEST
