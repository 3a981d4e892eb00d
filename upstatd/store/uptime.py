"""What GET /api/monitors/{id}/status reports, read from the stored history:
uptime over 24 h / 7 d / 30 d (state changes and pauses, computed by
upstatd.monitors.uptime), latency percentiles over 24 h, the last check."""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple


from upstatd.monitors.uptime import percentile, uptime

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
    latencies = [row[0] / 1000 for row in conn.execute(
        "SELECT latency_us FROM checks WHERE monitor_seq = ? AND created_at > ? AND ok = 1 "
        "ORDER BY latency_us", (seq, now_ms - DAY_MS)).fetchall()]
    last = conn.execute(
        f"SELECT {CHECK_COLUMNS} FROM checks WHERE monitor_seq = ? ORDER BY seq DESC LIMIT 1", (seq,)).fetchall()
    return Figures(percents, percentile(latencies, 50), percentile(latencies, 95), len(latencies),
                   last[0] if last else None)
