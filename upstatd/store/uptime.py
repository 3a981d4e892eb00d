"""What GET /api/monitors/{id}/status reports, read from the stored history:
uptime over 24 h / 7 d / 30 d (state changes and pauses, computed by
upstatd.monitors.uptime), latency percentiles over 24 h, the last check."""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple


from upstatd.monitors import histogram
from upstatd.monitors.uptime import percentile, uptime
from upstatd.store import rollups
from upstatd.store.rollups import HOUR_MS

DAY_MS = 86_400_000
WINDOWS = {"24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}
CHECK_COLUMNS = ("seq, created_at, ok, state, latency_us, status_code, error_kind, error_message, "
                 "resolve_us, connect_us, tls_us, first_byte_us, transfer_us, details")


class Figures(NamedTuple):
    uptime: dict[str, float | None]  # window name -> percent
    p50_ms: float | None
    p95_ms: float | None
    latency_checks: int
    last_check: Any                  # a row of CHECK_COLUMNS, or None


def history(conn: sqlite3.Connection, seq: int, created_at_ms: int,
                  since_ms: int) -> list[tuple[int, str]]:
    """(time, state entered) from `since_ms` on: the state the monitor was in then
    (pending from its creation until the first change), then every change."""
    before = conn.execute(
        "SELECT created_at, to_state FROM state_changes WHERE monitor_seq = ? AND created_at <= ? "
        "ORDER BY created_at DESC, seq DESC LIMIT 1", (seq, since_ms)).fetchall()
    after = conn.execute(
        "SELECT created_at, to_state FROM state_changes WHERE monitor_seq = ? AND created_at > ? "
        "ORDER BY created_at, seq", (seq, since_ms)).fetchall()
    start = [tuple(before[0])] if before else [(created_at_ms, "pending")]
    return start + [tuple(row) for row in after]


def pauses(conn: sqlite3.Connection, seq: int, since_ms: int) -> list[tuple[int, int | None]]:
    return [tuple(row) for row in conn.execute(
        "SELECT started_at, ended_at FROM monitor_pauses "
        "WHERE monitor_seq = ? AND (ended_at IS NULL OR ended_at > ?)", (seq, since_ms)).fetchall()]


def monitor_figures(conn: sqlite3.Connection, seq: int, created_at_ms: int, now_ms: int) -> Figures:
    longest = max(WINDOWS.values())
    states = history(conn, seq, created_at_ms, now_ms - longest)
    paused = pauses(conn, seq, now_ms - longest)
    percents = {name: uptime(states, paused, now_ms - size, now_ms) for name, size in WINDOWS.items()}
    p50, p95, count = latency_day(conn, seq, now_ms)
    last = conn.execute(
        f"SELECT {CHECK_COLUMNS} FROM checks WHERE monitor_seq = ? ORDER BY seq DESC LIMIT 1", (seq,)).fetchall()
    return Figures(percents, p50, p95, count, last[0] if last else None)


def latency_day(conn: sqlite3.Connection, seq: int, now_ms: int) -> tuple[float | None, float | None, int]:
    """p50, p95 (ms) and the count of the good checks of the last 24 hours. The hours
    rolled up come from their rollups (histograms: within 9 %), the rest from the raw
    checks (exact when no hour is rolled up yet): the cost is the same whatever the
    history's length."""
    since = now_ms - DAY_MS
    rolled = rollups.cursor(conn) or since
    first = since - since % HOUR_MS + HOUR_MS   # the first whole hour in the window
    hours = rollups.between(conn, seq, "hour", first, rolled) if rolled > first else []
    spans = [(since + 1, first), (hours[-1].start_at + HOUR_MS, now_ms + 1)] if hours else [(since + 1, now_ms + 1)]
    raw = []
    for low, high in spans:  # each bounded by seq too: only its own rows are visited
        raw.extend(row[0] / 1000 for row in conn.execute(
            "SELECT latency_us FROM checks WHERE monitor_seq = ? AND seq >= ? AND seq < ? AND ok = 1 "
            "AND created_at >= ? AND created_at < ?",
            (seq, seq_at(conn, low), seq_at(conn, high), low, high)).fetchall())
    if not hours:
        raw.sort()
        return percentile(raw, 50), percentile(raw, 95), len(raw)
    merged = histogram.merge([histogram.of(raw), *(hour.histogram for hour in hours)])
    lows = [value for value in (min(raw, default=None), *(h.latency_min_us / 1000 for h in hours
                                                          if h.latency_min_us is not None)) if value is not None]
    highs = [value for value in (max(raw, default=None), *(h.latency_max_us / 1000 for h in hours
                                                           if h.latency_max_us is not None)) if value is not None]
    low, high = min(lows, default=None), max(highs, default=None)
    return (histogram.percentile(merged, 50, low, high), histogram.percentile(merged, 95, low, high),
            len(raw) + sum(hour.ok_checks for hour in hours))


def seq_at(conn: sqlite3.Connection, at_ms: int) -> int:
    """The first check seq at or after `at_ms`, by bisection over seq (checks are numbered
    as they come, so their times rise with it): a few point reads, not a scan."""
    # two queries: SQLite answers min() or max() alone from the rowid's ends, both at once by a scan
    (low,) = conn.execute("SELECT coalesce(min(seq), 1) FROM checks").fetchone()
    (high,) = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM checks").fetchone()
    while low < high:
        middle = (low + high) // 2
        row = conn.execute("SELECT created_at FROM checks WHERE seq >= ? ORDER BY seq LIMIT 1",
                           (middle,)).fetchone()
        if row is None or row[0] >= at_ms:
            high = middle
        else:
            low = middle + 1
    return low
