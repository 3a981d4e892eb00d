"""A monitor's SLA over a window (GET /api/monitors/{id}/sla): Better Stack's
figures (availability, downtime, incidents, the longest and the average
one) with the average response time, and the same per UTC day.

Availability and downtime are exact: they come from the state changes and
pauses (monitors/uptime.py, the same as /status), whatever the window's
length. The response time comes from the rollups (a day's row where the day
is whole in the window, else its hours) and raw checks only for what is
not rolled up yet, so a 400-day window reads about 400 rows.
"""

from __future__ import annotations

import datetime
import sqlite3
from typing import NamedTuple

from upstatd.monitors.uptime import counted_time, uptime
from upstatd.store import rollups
from upstatd.store.rollups import DAY_MS, HOUR_MS
from upstatd.store.uptime import history, pauses, seq_at

MAX_DAYS = 400


class Day(NamedTuple):
    date: str                      # YYYY-MM-DD (UTC)
    availability: float | None     # percent
    downtime_seconds: float
    checks: int
    failures: int
    average_response_ms: float | None


class Sla(NamedTuple):
    availability: float | None
    downtime_seconds: float
    incidents: int
    longest_incident_seconds: float
    average_incident_seconds: float
    checks: int
    failures: int
    average_response_ms: float | None
    days: list[Day]


class Totals(NamedTuple):
    checks: int
    failures: int
    ok_checks: int
    latency_sum_us: int


def _totals(conn: sqlite3.Connection, seq: int, start: int, end: int, rolled: int) -> Totals:
    """Checks in [start, end): whole hours before the roll-up cursor from their rollups, the rest raw."""
    first = start + (-start) % HOUR_MS             # the first whole hour
    last = min(end - end % HOUR_MS, rolled)         # the end of the last whole hour rolled up
    parts = []
    if last > first:
        if first % DAY_MS == 0 and last - first == DAY_MS:
            parts = rollups.between(conn, seq, "day", first, last)
        parts = parts or rollups.between(conn, seq, "hour", first, last)
    raw_spans = [(start, first), (last, end)] if last > first else [(start, end)]
    checks = failures = ok = latency = 0
    for part in parts:
        checks, failures = checks + part.checks, failures + part.failures
        ok, latency = ok + part.ok_checks, latency + part.latency_sum_us
    for low, high in raw_spans:
        if high <= low:
            continue
        row = conn.execute(
            "SELECT count(*), coalesce(sum(1 - ok), 0), coalesce(sum(ok), 0), coalesce(sum(ok * latency_us), 0) "
            "FROM checks WHERE monitor_seq = ? AND seq >= ? AND seq < ? AND created_at >= ? AND created_at < ?",
            (seq, seq_at(conn, low), seq_at(conn, high), low, high)).fetchone()
        checks, failures, ok, latency = checks + row[0], failures + row[1], ok + row[2], latency + row[3]
    return Totals(checks, failures, ok, latency)


def _average(totals: Totals) -> float | None:
    return round(totals.latency_sum_us / totals.ok_checks / 1000, 3) if totals.ok_checks else None


def monitor_sla(conn: sqlite3.Connection, seq: int, monitor_id: str, created_at_ms: int, start: int, end: int,
                now_ms: int) -> Sla:
    """The SLA of [start, end) (ms), clipped to the monitor's life and to now."""
    end = min(end, now_ms)
    start = max(start, created_at_ms)
    if end <= start:
        return Sla(None, 0.0, 0, 0.0, 0.0, 0, 0, None, [])
    states = history(conn, seq, created_at_ms, start)
    paused = pauses(conn, seq, start)
    rolled = rollups.cursor(conn) or start
    days, total = [], Totals(0, 0, 0, 0)
    day = start - start % DAY_MS
    while day < end:
        low, high = max(day, start), min(day + DAY_MS, end)
        figures = _totals(conn, seq, low, high, rolled)
        total = Totals(*(a + b for a, b in zip(total, figures)))
        days.append(Day(datetime.datetime.fromtimestamp(day / 1000, datetime.timezone.utc).strftime("%Y-%m-%d"),
                        uptime(states, paused, low, high), counted_time(states, paused, low, high)[1] / 1000,
                        figures.checks, figures.failures, _average(figures)))
        day += DAY_MS
    incidents = [
        (min(resolved if resolved is not None else now_ms, end) - max(started, start)) / 1000
        for started, resolved in conn.execute(
            "SELECT started_at, resolved_at FROM incidents WHERE seq IN (SELECT incident_seq FROM incident_monitors "
            "WHERE monitor_id = ?) AND (resolved_at IS NULL OR resolved_at > ?) AND started_at < ?",
            (monitor_id, start, end))]
    return Sla(uptime(states, paused, start, end), counted_time(states, paused, start, end)[1] / 1000,
               len(incidents), max(incidents, default=0.0),
               round(sum(incidents) / len(incidents), 3) if incidents else 0.0,
               total.checks, total.failures, _average(total), days)
