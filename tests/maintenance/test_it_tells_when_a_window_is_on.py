"""active_at and next_change (what the wheel's timers are armed from): one-off
windows, windows spanning midnight, and occurrences that overlap or touch,
which are one stretch of maintenance (no end and start at the same instant)."""

from __future__ import annotations

import pytest

from upstatd.maintenance.windows import active_at, next_change

from windowkit import once, recurring, shown, utc

ONE_OFF = once("2026-05-01T22:00:00", "2026-05-02T01:00:00")
# 23:00 to 01:00 Riga time (EEST, UTC+3) every day: 20:00Z to 22:00Z
OVER_MIDNIGHT = recurring("cron", "0 23 * * *", 7200)
# every hour on the hour for 90 minutes: each overlaps the next, on for ever
OVERLAPPING = recurring("cron", "0 * * * *", 5400, "UTC")
# every 30 minutes for 30 minutes: each ends as the next begins
TOUCHING = recurring("rrule", "FREQ=MINUTELY;INTERVAL=30", 1800, "UTC")
# Saturdays 22:00 and 23:00 UTC for 90 minutes: two overlapping, then off for a week
PAIR = recurring("oncalendar", "Sat *-*-* 22,23:00", 5400, "UTC")


@pytest.mark.parametrize("window, at, active, change", [
    (ONE_OFF, "2026-05-01T21:59:59", None, ("2026-05-01T22:00:00", "start")),
    (ONE_OFF, "2026-05-01T22:00:00", ("2026-05-01T22:00:00", "2026-05-02T01:00:00"),
     ("2026-05-02T01:00:00", "end")),
    (ONE_OFF, "2026-05-02T01:00:00", None, None),                      # [start, end): over, for good
    (OVER_MIDNIGHT, "2026-05-01T19:00:00", None, ("2026-05-01T20:00:00", "start")),
    (OVER_MIDNIGHT, "2026-05-01T21:30:00", ("2026-05-01T20:00:00", "2026-05-01T22:00:00"),
     ("2026-05-01T22:00:00", "end")),                                   # 00:30 local, the next day
    (OVER_MIDNIGHT, "2026-05-01T22:00:00", None, ("2026-05-02T20:00:00", "start")),
    (PAIR, "2026-05-02T22:30:00", ("2026-05-02T22:00:00", "2026-05-02T23:30:00"),
     ("2026-05-03T00:30:00", "end")),                                   # the second one's end
    (PAIR, "2026-05-02T23:15:00", ("2026-05-02T22:00:00", "2026-05-02T23:30:00"),
     ("2026-05-03T00:30:00", "end")),                                   # both on: the earliest begun
    (PAIR, "2026-05-03T00:30:00", None, ("2026-05-09T22:00:00", "start")),
    (TOUCHING, "2026-05-01T10:10:00", ("2026-05-01T10:00:00", "2026-05-01T10:30:00"),
     ("2026-05-08T10:30:00", "end")),     # on for ever: the stretch followed 7 days (the last start's end)
    (TOUCHING, "2026-05-01T10:30:00", ("2026-05-01T10:30:00", "2026-05-01T11:00:00"),
     ("2026-05-08T10:30:00", "end")),                                   # touching: the same stretch
    (OVERLAPPING, "2026-05-01T10:10:00", ("2026-05-01T09:00:00", "2026-05-01T10:30:00"),
     ("2026-05-08T11:30:00", "end")),
])
def test_it_tells_the_occurrence_on_and_the_next_change(window, at, active, change):
    found = active_at(window, utc(at))
    assert (None if found is None else (shown(found.start), shown(found.end))) == active
    upcoming = next_change(window, utc(at))
    assert (None if upcoming is None else (shown(upcoming[0]), upcoming[1])) == change


def test_it_has_no_change_after_an_rrule_has_run_out():
    window = recurring("rrule", "DTSTART:20260301T020000\nRRULE:FREQ=DAILY;COUNT=3", 600, "UTC")
    assert next_change(window, utc("2026-03-02T03:00:00")) == (utc("2026-03-03T02:00:00"), "start")
    assert next_change(window, utc("2026-03-03T02:05:00")) == (utc("2026-03-03T02:10:00"), "end")
    assert next_change(window, utc("2026-03-03T02:10:00")) is None
