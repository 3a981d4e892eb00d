"""The 90 daily bars: local days of the page's zone (23 and 25 hours across
DST), each day's exact uptime, its incidents and maintenance."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from upstatd.monitors.uptime import timeline
from upstatd.pages.bars import DAYS, daily, day_bounds, level, overall

RIGA = ZoneInfo("Europe/Riga")
H = 3_600_000


def local_ms(zone: ZoneInfo, *fields: int) -> int:
    return round(datetime.datetime(*fields, tzinfo=zone).timestamp() * 1000)


def test_it_cuts_days_at_local_midnight_with_23_and_25_hour_days():
    now = local_ms(RIGA, 2026, 10, 26, 12, 0)  # DST ended on 2026-10-25 (04:00 -> 03:00)
    bounds = day_bounds(now, RIGA, 3)
    assert [date for date, _, _ in bounds] == ["2026-10-24", "2026-10-25", "2026-10-26"]
    assert [(end - start) / H for _, start, end in bounds] == [24, 25, 12]
    spring = day_bounds(local_ms(RIGA, 2026, 3, 30, 6, 0), RIGA, 2)  # DST began on 2026-03-29
    assert (spring[0][2] - spring[0][1]) / H == 23
    assert len(day_bounds(local_ms(RIGA, 2026, 3, 30, 6, 0), RIGA)) == DAYS


def test_it_gives_each_day_its_exact_uptime_incidents_and_maintenance():
    now = local_ms(RIGA, 2026, 10, 26, 12, 0)
    day_before = local_ms(RIGA, 2026, 10, 25, 0, 0)
    line = timeline([(now - 5 * 24 * H, "up"), (day_before + 10 * H, "down"), (day_before + 10 * H + 15 * 60_000, "up")],
                    [])
    bars = daily(line, now, RIGA, incidents=[day_before + 10 * H], maintenance=[(now - 2 * H, now - H)], days=8)
    assert [bar.date for bar in bars][-3:] == ["2026-10-24", "2026-10-25", "2026-10-26"]
    before_it, dst_day, today = bars[-3:]
    assert (before_it.uptime, before_it.level, before_it.incidents) == (100.0, "good", 0)
    assert dst_day.uptime == 100 * (25 * 60 - 15) / (25 * 60)   # a 25-hour day, 15 minutes down
    assert (dst_day.level, dst_day.incidents, dst_day.maintenance) == ("fair", 1, False)  # 99.00 %: fair
    assert today.maintenance and today.uptime == 100.0
    assert bars[0].uptime is None and bars[0].level == "none"    # before the monitor existed
    assert "1 incident" in dst_day.title and "99.00%" in dst_day.title
    assert overall(line, now, RIGA, days=3) == 100 * (61 * 60 - 15) / (61 * 60)  # 24 + 25 + 12 hours


def test_it_colours_bars_by_uptime():
    assert [level(value) for value in (None, 100.0, 99.9, 99.5, 99.0, 96.0, 95.0, 90.0)] == [
        "none", "good", "good", "fair", "fair", "poor", "poor", "bad"]


def test_it_counts_an_incident_in_the_day_it_started_at_the_days_edges():
    now = local_ms(RIGA, 2026, 10, 26, 12, 0)
    line = timeline([(now - 5 * 24 * H, "up")], [])
    midnight = local_ms(RIGA, 2026, 10, 25, 0, 0)
    starts = [midnight + 25 * H, midnight, midnight - 1, midnight + 25 * H - 1, now - 1]  # any order
    bars = daily(line, now, RIGA, incidents=starts, days=3)
    assert [(bar.date, bar.incidents) for bar in bars] == [("2026-10-24", 1), ("2026-10-25", 2), ("2026-10-26", 2)]


def test_it_gives_the_same_uptime_as_the_status_figures():
    from upstatd.monitors.uptime import percent as exact
    from upstatd.pages.bars import percent

    for good, bad in ((0, 0), (1, 0), (0, 7), (2, 1), (86_399_999, 1), (1485 * 60_000, 15 * 60_000),
                      (10**12 + 1, 3), (7_776_000_000 - 1, 1)):
        assert percent(good, bad) == exact(good, bad), (good, bad)
