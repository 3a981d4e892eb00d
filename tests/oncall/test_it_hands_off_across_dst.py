"""Handoffs across the spring and autumn changes in Europe/Riga (03:00 EET ->
04:00 EEST on 2026-03-29, 04:00 EEST -> 03:00 EET on 2026-10-25, both at
01:00Z) and America/New_York (02:00 EST -> 03:00 EDT on 2026-03-08 at 07:00Z,
02:00 EDT -> 01:00 EST on 2026-11-01 at 06:00Z).

Day-based rotations keep their wall-clock time (the shift over the change is
23 or 25 h); hour-based ones keep their elapsed hours; a handoff time that does
not exist moves forward by the gap, one that happens twice is its first pass.
Expected instants are written in UTC, worked out by hand from the offsets."""

from __future__ import annotations

import pytest

from upstatd.oncall.rotations import next_handoff, shifts

from oncallkit import layer, local, schedule, shown, utc

RIGA, NEW_YORK = "Europe/Riga", "America/New_York"


@pytest.mark.parametrize("rotation, since, until, expected", [
    # daily 09:00 Riga: 07:00Z in winter, 06:00Z in summer
    (layer("a b", "2026-03-01T09:00", "daily", RIGA), "2026-03-28T00:00:00", "2026-03-31T00:00:00",
     [("2026-03-28T07:00:00", 23), ("2026-03-29T06:00:00", 24)]),
    (layer("a b", "2026-03-01T09:00", "daily", RIGA), "2026-10-24T00:00:00", "2026-10-27T00:00:00",
     [("2026-10-24T06:00:00", 25), ("2026-10-25T07:00:00", 24)]),
    # daily 09:00 New York: 14:00Z (EST), 13:00Z (EDT)
    (layer("a b", "2026-03-01T09:00", "daily", NEW_YORK), "2026-03-07T00:00:00", "2026-03-10T00:00:00",
     [("2026-03-07T14:00:00", 23), ("2026-03-08T13:00:00", 24)]),
    (layer("a b", "2026-03-01T09:00", "daily", NEW_YORK), "2026-10-31T00:00:00", "2026-11-03T00:00:00",
     [("2026-10-31T13:00:00", 25), ("2026-11-01T14:00:00", 24)]),
    # weekly, Friday 10:00 Riga: the week over the spring change is 167 h, over the autumn one 169 h
    (layer("a b c", "2026-03-06T10:00", "weekly", RIGA), "2026-03-27T00:00:00", "2026-04-11T00:00:00",
     [("2026-03-27T08:00:00", 167), ("2026-04-03T07:00:00", 168)]),
    (layer("a b c", "2026-03-06T10:00", "weekly", RIGA), "2026-10-23T00:00:00", "2026-11-07T00:00:00",
     [("2026-10-23T07:00:00", 169), ("2026-10-30T08:00:00", 168)]),
    # 03:30 Riga does not exist on 2026-03-29: read with EET (+2), 01:30Z, which is 04:30 EEST
    (layer("a b", "2026-03-27T03:30", "daily", RIGA), "2026-03-28T00:00:00", "2026-03-31T00:00:00",
     [("2026-03-28T01:30:00", 24), ("2026-03-29T01:30:00", 23)]),
    # 03:30 Riga happens twice on 2026-10-25 (00:30Z EEST, 01:30Z EET): the first pass
    (layer("a b", "2026-10-01T03:30", "daily", RIGA), "2026-10-24T00:00:00", "2026-10-27T00:00:00",
     [("2026-10-24T00:30:00", 24), ("2026-10-25T00:30:00", 25)]),
    # 02:30 New York does not exist on 2026-03-08: 07:30Z (03:30 EDT); 01:30 on 2026-11-01 is 05:30Z (EDT)
    (layer("a b", "2026-03-01T02:30", "daily", NEW_YORK), "2026-03-07T00:00:00", "2026-03-10T00:00:00",
     [("2026-03-07T07:30:00", 24), ("2026-03-08T07:30:00", 23)]),
    (layer("a b", "2026-10-01T01:30", "daily", NEW_YORK), "2026-10-31T00:00:00", "2026-11-03T00:00:00",
     [("2026-10-31T05:30:00", 24), ("2026-11-01T05:30:00", 25)]),
])
def test_it_keeps_the_wall_clock_handoff(rotation, since, until, expected):
    found = shifts(schedule(rotation), utc(since), utc(until))
    whole = [(shown(item.start), (item.end - item.start) / 3600) for item in found[1:-1]]
    assert whole == expected


@pytest.mark.parametrize("zone, starts_at, since, local_handoffs", [
    (RIGA, "2026-03-28T21:00", "2026-03-28T18:00:00",   # elapsed hours: 21:00 EET, then 10:00 and 22:00 EEST
     ["2026-03-28T21:00+02:00", "2026-03-29T10:00+03:00", "2026-03-29T22:00+03:00", "2026-03-30T10:00+03:00"]),
    (RIGA, "2026-10-24T21:00", "2026-10-24T17:00:00",   # and 08:00, 20:00 EET after falling back
     ["2026-10-24T21:00+03:00", "2026-10-25T08:00+02:00", "2026-10-25T20:00+02:00", "2026-10-26T08:00+02:00"]),
    (NEW_YORK, "2026-03-07T20:00", "2026-03-07T23:00:00",
     ["2026-03-07T20:00-05:00", "2026-03-08T09:00-04:00", "2026-03-08T21:00-04:00", "2026-03-09T09:00-04:00"]),
])
def test_it_counts_an_hourly_rotation_in_elapsed_hours(zone, starts_at, since, local_handoffs):
    sched = schedule(layer("a b", starts_at, "12h", zone))
    at, seen = utc(since), []
    for _ in local_handoffs:
        at, _who = next_handoff(sched, at)
        seen.append(local(at, zone))
    assert seen == local_handoffs
