"""When a heartbeat expects its next ping (Schedule.next_after): every period, on
a cron expression, or on OnCalendar lines, in the heartbeat's time zone, across
daylight-saving changes the way Debian cron (cronsim) and systemd (oncalendar)
take them. Every expectation is an exact UTC instant.

Europe/Riga springs forward on 2026-03-29 at 03:00 EET (01:00Z) to 04:00 EEST,
and falls back on 2026-10-25 at 04:00 EEST (01:00Z) to 03:00 EET: local 03:00
to 03:59 happens twice that night, at 00:00Z-00:59Z and again at 01:00Z-01:59Z.
"""

from __future__ import annotations

from datetime import datetime, timezone as tz

import pytest

from upstatd.heartbeats import deadlines
from upstatd.heartbeats.deadlines import Flip, HeartbeatState
from upstatd.heartbeats.schedule import Schedule


def utc(text: str) -> float:
    """'2026-03-29T01:00:00' (UTC) -> Unix seconds."""
    return datetime.fromisoformat(text + "+00:00").timestamp()


def cron(expression: str, timezone: str = "Europe/Riga") -> Schedule:
    return Schedule("cron", expression=expression, timezone=timezone)


def oncalendar(expression: str, timezone: str = "UTC") -> Schedule:
    return Schedule("oncalendar", expression=expression, timezone=timezone)


def check(schedule: Schedule, after: str, expected: str | None) -> None:
    got = schedule.next_after(utc(after))
    shown = None if got is None else datetime.fromtimestamp(got, tz.utc).isoformat(timespec="microseconds")
    assert got == (None if expected is None else utc(expected)), f"after {after}Z: got {shown}Z"


DAILY_3AM = [
    ("2026-03-27T23:00:00", "2026-03-28T01:00:00"),   # 01:00 EET -> 03:00 EET
    ("2026-03-28T01:00:00", "2026-03-29T01:00:00"),   # no 03:00 on the 29th: right after the jump, 04:00 EEST
    ("2026-03-28T23:00:00", "2026-03-29T01:00:00"),   # the same from 02:00 EET that night
    ("2026-03-29T01:00:00", "2026-03-30T00:00:00"),   # from the slot after the jump: 03:00 EEST next day
    ("2026-10-24T00:00:00", "2026-10-25T00:00:00"),   # 03:00 EEST the day before -> the first 03:00
    ("2026-10-25T00:00:00", "2026-10-26T01:00:00"),   # a fixed time in the repeated hour runs once
    ("2026-10-25T00:30:00", "2026-10-26T01:00:00"),
    ("2026-10-25T00:59:59", "2026-10-26T01:00:00"),   # a second before the second 03:00: still not again
    ("2026-10-25T01:00:05", "2026-10-26T01:00:00"),   # inside the second 03:00
    ("2026-10-26T00:00:00", "2026-10-26T01:00:00"),   # 02:00 EET -> 03:00 EET
]

HOURLY = [
    ("2026-03-28T23:30:00", "2026-03-29T00:00:00"),   # 01:30 EET -> 02:00 EET
    ("2026-03-29T00:00:00", "2026-03-29T01:00:00"),   # 02:00 EET -> 04:00 EEST: 03:00 is skipped
    ("2026-03-29T00:30:00", "2026-03-29T01:00:00"),
    ("2026-03-29T01:00:00", "2026-03-29T02:00:00"),   # 04:00 -> 05:00 EEST
    ("2026-10-24T23:30:00", "2026-10-25T00:00:00"),   # 02:30 EEST -> 03:00 EEST
    ("2026-10-25T00:00:00", "2026-10-25T01:00:00"),   # -> 03:00 EET: hourly runs in the repeated hour again
    ("2026-10-25T00:30:00", "2026-10-25T01:00:00"),
    ("2026-10-25T01:00:00", "2026-10-25T02:00:00"),   # -> 04:00 EET
]

HALF_PAST_3 = [
    ("2026-03-28T22:00:00", "2026-03-29T01:00:00"),   # 03:30 does not exist: runs right after the jump, 04:00 EEST
    ("2026-03-29T00:59:00", "2026-03-29T01:00:00"),   # 02:59 EET
    ("2026-03-29T01:00:00", "2026-03-30T00:30:00"),   # -> 03:30 EEST on the 30th
    ("2026-10-25T00:00:00", "2026-10-25T00:30:00"),   # the first 03:30 (EEST)
    ("2026-10-25T00:30:00", "2026-10-26T01:30:00"),   # not the second 03:30 (EET)
    # From the second pass of the hour (03:10 EET): the first 03:30 already ran, 20 minutes
    # ago by the wall clock; cronsim, walking naive local time, gave that past slot.
    ("2026-10-25T01:10:00", "2026-10-26T01:30:00"),
    ("2026-10-25T01:29:59", "2026-10-26T01:30:00"),
]


@pytest.mark.parametrize("after, expected", DAILY_3AM, ids=[a for a, _ in DAILY_3AM])
def test_daily_at_3_in_riga(after, expected):
    check(cron("0 3 * * *"), after, expected)


@pytest.mark.parametrize("after, expected", HOURLY, ids=[a for a, _ in HOURLY])
def test_hourly_in_riga(after, expected):
    check(cron("0 * * * *"), after, expected)


@pytest.mark.parametrize("after, expected", HALF_PAST_3, ids=[a for a, _ in HALF_PAST_3])
def test_half_past_3_in_riga(after, expected):
    check(cron("30 3 * * *"), after, expected)


@pytest.mark.parametrize("expression, after, expected", [
    ("45 3 * * *", "2026-10-25T01:30:00", "2026-10-26T01:45:00"),   # second 03:30 -> not the 03:45 that ran
    ("0 3,4 * * *", "2026-10-25T00:00:00", "2026-10-25T02:00:00"),  # the first 03:00 -> 04:00 EET
    ("0 3,4 * * *", "2026-10-25T01:30:00", "2026-10-25T02:00:00"),
])
def test_cron_never_expects_a_slot_before_the_ping(expression, after, expected):
    check(cron(expression), after, expected)


@pytest.mark.parametrize("after, expected", [
    ("2026-03-28T02:59:59", "2026-03-28T03:00:00"),
    ("2026-03-28T02:59:59.500", "2026-03-28T03:00:00"),
    ("2026-03-28T03:00:00", "2026-03-29T03:00:00"),   # exactly on the slot: the next one
    ("2026-03-28T03:00:00.001", "2026-03-29T03:00:00"),
    ("2026-03-28T03:00:05", "2026-03-29T03:00:00"),
])
def test_strictly_after_the_given_time(after, expected):
    check(cron("0 3 * * *", "UTC"), after, expected)
    check(oncalendar("*-*-* 03:00"), after, expected)


# OnCalendar: several lines, each may carry its own zone; the heartbeat's zone for the rest.
WEEKDAYS_AND_SATURDAY = "Mon..Fri 09:00\nSat 12:00 Europe/Riga"


@pytest.mark.parametrize("timezone, after, expected", [
    ("UTC", "2026-03-27T08:00:00", "2026-03-27T09:00:00"),            # Fri 09:00 UTC
    ("UTC", "2026-03-27T09:00:00", "2026-03-28T10:00:00"),            # -> Sat 12:00 EET
    ("UTC", "2026-03-28T10:00:00", "2026-03-30T09:00:00"),            # -> Mon (no Sunday line)
    ("UTC", "2026-04-03T09:00:00", "2026-04-04T09:00:00"),            # Sat 12:00 is EEST by then
    ("America/New_York", "2026-03-27T10:00:00", "2026-03-27T13:00:00"),  # Fri 09:00 EDT
    ("America/New_York", "2026-03-27T13:00:00", "2026-03-28T10:00:00"),  # Sat 12:00 in Riga, not New York
    ("America/New_York", "2026-03-28T10:00:00", "2026-03-30T13:00:00"),
    ("Europe/Riga", "2026-03-27T06:00:00", "2026-03-27T07:00:00"),    # Fri 09:00 EET
])
def test_oncalendar_lines_with_their_own_zones(timezone, after, expected):
    check(oncalendar(WEEKDAYS_AND_SATURDAY, timezone), after, expected)


@pytest.mark.parametrize("after, expected", [
    ("2026-10-25T00:30:00", "2026-10-25T00:45:00"),   # the first 03:45 (EEST)
    ("2026-10-25T01:30:00", "2026-10-26T01:45:00"),   # from the second 03:30: that 03:45 already passed
])
def test_oncalendar_in_the_repeated_hour(after, expected):
    check(oncalendar("*-*-* 03:45", "Europe/Riga"), after, expected)


def test_oncalendar_that_never_fires_again():
    check(oncalendar("2030-01-01 00:00"), "2030-01-01T00:00:00", None)
    check(oncalendar("2030-01-01 00:00"), "2029-12-31T23:00:00", "2030-01-01T00:00:00")


@pytest.mark.parametrize("period, after, expected", [
    (60.0, "2026-03-28T03:00:00", "2026-03-28T03:01:00"),
    (86400.0, "2026-03-28T01:00:00", "2026-03-29T01:00:00"),   # a day is 86400 s, DST or not
    (86400.0, "2026-10-25T00:00:00", "2026-10-26T00:00:00"),
    (1.5, "2026-03-28T03:00:00", "2026-03-28T03:00:01.500"),
])
def test_period(period, after, expected):
    check(Schedule("period", period=period, timezone="Europe/Riga"), after, expected)


# -- deadlines on a cron schedule -----------------------------------------------------------

GRACE = 1800.0


def pinged(at: float, schedule: Schedule, hb: HeartbeatState | None = None) -> HeartbeatState:
    outcome = deadlines.ping(hb or HeartbeatState("new", at - 1), "success", None, at, schedule)
    return outcome.state


@pytest.mark.parametrize("ping, slot", [
    ("2026-03-26T01:00:05", "2026-03-27T01:00:00"),   # Thu 03:00:05 EET -> Fri 03:00 EET
    ("2026-03-28T01:00:05", "2026-03-29T01:00:00"),   # Sat -> Sun 04:00 EEST, right after the jump
    ("2026-03-29T01:00:05", "2026-03-30T00:00:00"),   # Sun 04:00:05 EEST -> Mon 03:00 EEST
    ("2026-10-25T00:00:05", "2026-10-26T01:00:00"),   # the first 03:00:05 -> Mon 03:00 EET
    ("2026-10-25T01:00:05", "2026-10-26T01:00:00"),   # the second 03:00:05 -> the same
])
def test_a_daily_job_pinging_just_after_3_expects_the_next_days_3(ping, slot):
    schedule = cron("0 3 * * *")
    hb = pinged(utc(ping), schedule)
    assert hb.expected_at == utc(slot)
    assert deadlines.next_change(hb, GRACE) == (utc(slot), "late", "deadline")
    assert deadlines.advance(hb, utc(slot) - 0.001, GRACE)[1] == []
    hb, flips = deadlines.advance(hb, utc(slot) + 2 * GRACE, GRACE)
    assert flips == [Flip("up", "late", utc(slot), "deadline"), Flip("late", "down", utc(slot) + GRACE, "missed")]


def test_more_pings_before_the_slot_keep_the_slot():
    schedule = cron("0 3 * * *")
    hb = pinged(utc("2026-03-26T01:00:05"), schedule)
    hb = pinged(utc("2026-03-26T08:00:00"), schedule, hb)   # a manual run at 10:00
    hb = pinged(utc("2026-03-27T00:59:59"), schedule, hb)   # a second early
    assert hb.expected_at == utc("2026-03-27T01:00:00")
    hb = pinged(utc("2026-03-27T01:00:00"), schedule, hb)   # on the slot: the next day's
    assert hb.expected_at == utc("2026-03-28T01:00:00")


def test_a_job_ending_in_the_repeated_hour_is_not_late_at_once():
    """03:30 job, done at 03:10 EET (the second pass of the hour): the 03:30 EEST slot
    already passed; expecting it would flip late at once, back-dated before the ping."""
    schedule = cron("30 3 * * *")
    done = utc("2026-10-25T01:10:00")
    hb = pinged(done, schedule, pinged(utc("2026-10-24T00:30:05"), schedule))
    assert deadlines.advance(hb, done + 60, GRACE)[1] == []
    assert deadlines.next_change(hb, GRACE) == (utc("2026-10-26T01:30:00"), "late", "deadline")
