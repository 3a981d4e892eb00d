"""What a maintenance window shows on a status page (pages/maintenance.py, pure):
which windows cover a resource; the occurrence in progress (to the end of its
stretch) or else the next one starting within 14 days, one per window; and the
occurrences that mark the 90 daily bars of the page's zone: one-off windows
past, on and ahead, a recurring one across a DST change, one longer than a
day, one straddling the 90-day edge, and a dense one asked day by day."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from upstatd.maintenance.windows import Window, check_window
from upstatd.monitors.uptime import timeline
from upstatd.pages.bars import daily, day_bounds
from upstatd.pages.maintenance import DENSE, Planned, past, planned
from upstatd.store.maintenance import covers

RIGA = ZoneInfo("Europe/Riga")


def utc(text: str) -> float:
    """'2026-03-29T01:30' (UTC) -> Unix seconds."""
    return datetime.fromisoformat(text + "+00:00").timestamp()


def riga(text: str) -> float:
    """'2026-03-29T04:30' (Riga wall time) -> Unix seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=RIGA).timestamp()


def once(start: str, end: str) -> Window:
    return check_window(Window("once", starts_at=utc(start), ends_at=utc(end)), utc("2026-01-01T00:00"))


def recurring(kind: str, expression: str, duration: float, zone: str = "Europe/Riga") -> Window:
    return check_window(Window(kind, expression=expression, duration=duration, timezone=zone),
                        utc("2026-01-01T00:00"))


NOW = "2026-03-28T10:00"  # UTC: 12:00 EET in Riga, the day before clocks spring forward (03:00 -> 04:00)
DAILY_0330 = recurring("cron", "30 3 * * *", 3600)   # 03:30 Riga: on 2026-03-29 that time does not exist
WEEKLY = recurring("rrule", "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", 7200)
# 02:00 and 03:00 UTC for 90 minutes each: the two overlap, one stretch 02:00-04:30
PAIR = recurring("rrule", "FREQ=DAILY;BYHOUR=2,3;BYMINUTE=0", 5400, "UTC")


@pytest.mark.parametrize("window, now, expected", [
    # one-off: past, ending exactly now, on, starting exactly now, ahead, beyond the 14 days
    (once("2026-03-27T08:00", "2026-03-27T09:00"), NOW, None),
    (once("2026-03-28T09:00", "2026-03-28T10:00"), NOW, None),
    (once("2026-03-28T09:00", "2026-03-28T11:00"), NOW, ("2026-03-28T09:00", "2026-03-28T11:00", True)),
    (once("2026-03-28T10:00", "2026-03-28T11:00"), NOW, ("2026-03-28T10:00", "2026-03-28T11:00", True)),
    (once("2026-03-31T22:00", "2026-04-01T02:00"), NOW, ("2026-03-31T22:00", "2026-04-01T02:00", False)),
    (once("2026-04-11T09:59", "2026-04-11T11:00"), NOW, ("2026-04-11T09:59", "2026-04-11T11:00", False)),
    (once("2026-04-11T10:00", "2026-04-11T11:00"), NOW, None),   # starts 14 days ahead: not within
    # longer than a day: on since yesterday, its whole span shown
    (once("2026-03-27T00:00", "2026-03-30T00:00"), NOW, ("2026-03-27T00:00", "2026-03-30T00:00", True)),
    # recurring: the next one only; across the DST change 03:30 is read with the offset before
    # the gap: 04:30 EEST (01:30Z), and the day after 03:30 EEST (00:30Z)
    (DAILY_0330, NOW, ("2026-03-29T01:30", "2026-03-29T02:30", False)),
    (DAILY_0330, "2026-03-29T02:00", ("2026-03-29T01:30", "2026-03-29T02:30", True)),
    (DAILY_0330, "2026-03-29T02:30", ("2026-03-30T00:30", "2026-03-30T01:30", False)),
    (WEEKLY, NOW, ("2026-03-29T00:00", "2026-03-29T02:00", False)),  # 02:00 EET, before the gap
    (WEEKLY, "2026-03-30T00:00", ("2026-04-04T23:00", "2026-04-05T01:00", False)),  # 02:00 EEST
    # overlapping occurrences: in progress until the end of the stretch
    (PAIR, "2026-03-28T02:30", ("2026-03-28T02:00", "2026-03-28T04:30", True)),
])
def test_it_shows_the_occurrence_on_now_else_the_next_one_within_14_days(window, now, expected):
    got = planned(window, utc(now))
    assert got == (None if expected is None else Planned(utc(expected[0]), utc(expected[1]), expected[2]))


def marked(window: Window, now: float, days: int = 90, zone: ZoneInfo = RIGA) -> list[str]:
    """The dates (in `zone`) whose bar the window marks, as bars.daily draws them."""
    now_ms = round(now * 1000)
    bounds = [(start / 1000, end / 1000) for _, start, end in day_bounds(now_ms, zone, days)]
    spans = [(round(o.start * 1000), round(o.end * 1000)) for o in past(window, bounds, now)]
    line = timeline([(now_ms - 200 * 86_400_000, "up")], [])
    return [bar.date for bar in daily(line, now_ms, zone, maintenance=spans, days=days) if bar.maintenance]


LATER = riga("2026-04-02T12:00")  # a few days after the DST change, local noon
FIRST_DAY = day_bounds(round(LATER * 1000), RIGA)[0]  # 2026-01-03, the oldest bar (EET)


@pytest.mark.parametrize("window, expected", [
    (once("2026-03-20T10:00", "2026-03-20T11:00"), ["2026-03-20"]),                 # past
    (once("2026-04-02T08:30", "2026-04-02T10:30"), ["2026-04-02"]),                 # on now: today
    (once("2026-04-02T09:00", "2026-04-02T11:00"), []),                             # starting now: not yet
    (once("2026-03-23T21:30", "2026-03-26T01:00"),                                  # longer than a day:
     ["2026-03-23", "2026-03-24", "2026-03-25", "2026-03-26"]),                     # 23:30 EET to 03:00
    (once("2026-01-02T12:00", "2026-01-02T22:00"), []),                             # ends before the first bar
    (Window("once", starts_at=FIRST_DAY[1] / 1000 - 86400, ends_at=FIRST_DAY[1] / 1000 + 60),
     [FIRST_DAY[0]]),                                                               # straddles the edge
    # recurring in the page's zone across the DST change: one mark a day, the gap's day too
    (recurring("cron", "30 3 * * *", 3600),
     ["2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31", "2026-04-01", "2026-04-02"]),
])
def test_it_marks_the_days_its_occurrences_touched(window, expected):
    days = marked(window, LATER)
    assert (days if window.kind == "once" else days[-len(expected):]) == expected


def test_a_daily_window_marks_every_day_even_where_the_page_zone_shifts():
    # 03:30 Riga every day, 90 days: every bar is marked; in New York's zone too, though the
    # page's days shift against the window's across both zones' DST changes (today there, 05:00,
    # has had none yet: 03:30 Riga was 20:30 yesterday)
    assert len(marked(DAILY_0330, LATER)) == 90
    new_york = marked(DAILY_0330, LATER, zone=ZoneInfo("America/New_York"))
    assert len(new_york) == 89 and new_york[-1] == "2026-04-01"


def test_a_dense_window_is_asked_day_by_day_and_marks_the_same_days():
    dense = recurring("cron", "*/5 * * * *", 60, "UTC")     # 288 a day: past DENSE in 90 days
    now = utc("2026-04-02T12:00")
    bounds = [(s / 1000, e / 1000) for _, s, e in day_bounds(round(now * 1000), ZoneInfo("UTC"))]
    spans = past(dense, bounds, now)
    assert len(spans) == 90 < DENSE                              # one per day
    assert all(start <= span.start < end for span, (start, end) in zip(spans, bounds))
    assert len(marked(dense, now, zone=ZoneInfo("UTC"))) == 90
    few = recurring("cron", "0 */6 * * *", 600, "UTC")          # 4 a day: all of them
    assert len(past(few, bounds, now)) == 4 * 89 + 1             # the days over: all; today: the first


def row(monitors=(), heartbeats=(), groups=()):
    return SimpleNamespace(monitor_ids=list(monitors), heartbeat_ids=list(heartbeats), group_ids=list(groups))


@pytest.mark.parametrize("window, kind, subject, group, expected", [
    (row(groups=["grp_a"]), "group", "grp_a", None, True),
    (row(groups=["grp_a"]), "monitor", "mon_a", "grp_a", True),      # a member of a group it names
    (row(groups=["grp_a"]), "heartbeat", "hbt_a", "grp_a", True),
    (row(groups=["grp_a"]), "monitor", "mon_a", "grp_b", False),
    (row(monitors=["mon_a"]), "group", "grp_a", None, False),
])
def test_it_covers_groups_and_their_members(window, kind, subject, group, expected):
    assert covers(window, kind, subject, group) is expected


@pytest.mark.parametrize("window, kind, subject, expected", [
    (row(monitors=["mon_a"]), "monitor", "mon_a", True),
    (row(monitors=["mon_a"]), "monitor", "mon_b", False),
    (row(heartbeats=["hbt_a"]), "heartbeat", "hbt_a", True),
    (row(monitors=["hbt_a"]), "heartbeat", "hbt_a", False),   # named under the other kind
    (row(monitors=["mon_a"]), "group", "mon_a", False),       # a kind it does not know covers nothing
])
def test_it_covers_the_resources_whose_subject_it_names(window, kind, subject, expected):
    assert covers(window, kind, subject) is expected
