"""A monitor's SLA over a window (GET /api/monitors/{id}/sla): Better Stack's
figures (availability, downtime, incidents, the longest and the average
one) with the average response time, and the same per UTC day; a heartbeat's
availability (the same figures but the checks, which a heartbeat has none of).

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

from upstatd.errors import Invalid, Malformed
from upstatd.monitors.uptime import counted_time, uptime
from upstatd.store import rollups
from upstatd.store.rollups import DAY_MS, HOUR_MS
from upstatd.store.uptime import history, pauses, seq_at

MAX_DAYS = 400


def window(now_ms: int, from_s: int | None, to_s: int | None) -> tuple[int, int]:
    """[start, end) in ms of a window given in Unix seconds: default until now, and the 30 days
    before its end; refused when it ends before it starts or is over MAX_DAYS long."""
    end = now_ms if to_s is None else to_s * 1000
    start = end - 30 * DAY_MS if from_s is None else from_s * 1000
    if end < start:
        raise Malformed(f"to ({end // 1000}) is before from ({start // 1000})", "to")
    if end - start > MAX_DAYS * DAY_MS:
        raise Invalid(f"the window is at most {MAX_DAYS} days, got {(end - start) / DAY_MS:.3f} days", "to")
    return start, end


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
    incidents = _incident_seconds(conn, monitor_id, start, end, now_ms)
    return Sla(uptime(states, paused, start, end), counted_time(states, paused, start, end)[1] / 1000,
               len(incidents), max(incidents, default=0.0),
               round(sum(incidents) / len(incidents), 3) if incidents else 0.0,
               total.checks, total.failures, _average(total), days)


class Availability(NamedTuple):
    availability: float | None
    downtime_seconds: float
    incidents: int
    longest_incident_seconds: float
    average_incident_seconds: float


def heartbeat_availability(conn: sqlite3.Connection, seq: int, heartbeat_id: str, created_at_ms: int, start: int,
                           end: int, now_ms: int) -> Availability:
    """A heartbeat's figures over [start, end) (ms), clipped to its life and to now: its flips
    and pauses counted as a monitor's state changes are (late is still up, new not counted)."""
    end = min(end, now_ms)
    start = max(start, created_at_ms)
    if end <= start:
        return Availability(None, 0.0, 0, 0.0, 0.0)
    states = history(conn, seq, created_at_ms, start, "heartbeat")
    paused = pauses(conn, seq, start, "heartbeat")
    incidents = _incident_seconds(conn, heartbeat_id, start, end, now_ms)
    return Availability(uptime(states, paused, start, end), counted_time(states, paused, start, end)[1] / 1000,
                        len(incidents), max(incidents, default=0.0),
                        round(sum(incidents) / len(incidents), 3) if incidents else 0.0)


def _incident_seconds(conn: sqlite3.Connection, subject_id: str, start: int, end: int, now_ms: int) -> list[float]:
    """How long each incident of the monitor or heartbeat lasted inside [start, end) (an open one: until now)."""
    return [
        (min(resolved if resolved is not None else now_ms, end) - max(started, start)) / 1000
        for started, resolved in conn.execute(
            "SELECT started_at, resolved_at FROM incidents WHERE seq IN (SELECT incident_seq FROM incident_monitors "
            "WHERE monitor_id = ?) AND (resolved_at IS NULL OR resolved_at > ?) AND started_at < ?",
            (subject_id, start, end))]
