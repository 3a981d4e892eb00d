"""What GET /api/monitors/{id}/status reports, read from the stored history:
uptime over 24 h / 7 d / 30 d (state changes and pauses, computed by
upstatd.monitors.uptime), latency percentiles over 24 h, the last check; and
what the monitors and heartbeats lists answer for every item (`listed`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, NamedTuple

from upstatd.monitors import histogram
from upstatd.monitors.uptime import Timeline, counted, percent, percentile, timeline
from upstatd.store import rollups
from upstatd.store.rollups import HOUR_MS

DAY_MS = 86_400_000
WINDOWS = {"24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}
# the region's name last (NULL: the daemon's own), read back from the number the row carries
CHECK_COLUMNS = ("seq, created_at, ok, state, latency_us, status_code, error_kind, error_message, "
                 "resolve_us, connect_us, tls_us, first_byte_us, transfer_us, details, "
                 "(SELECT name FROM regions WHERE regions.seq = checks.region)")


class Figures(NamedTuple):
    uptime: dict[str, float | None]  # window name -> percent
    p50_ms: float | None
    p95_ms: float | None
    latency_checks: int
    last_check: Any                  # a row of CHECK_COLUMNS, or None


# where each kind of subject keeps its state changes and pauses, and what its states count as
# (monitors/uptime.py counts up and degraded for, down against, anything else not at all)
SUBJECTS = {
    "monitor": ("state_changes", "monitor_seq", "monitor_pauses", "pending", {}),
    # late is inside the grace: not down yet, and no incident opens for it
    "heartbeat": ("heartbeat_flips", "heartbeat_seq", "heartbeat_pauses", "new", {"late": "up", "new": "pending"}),
}


def history(conn: sqlite3.Connection, seq: int, created_at_ms: int, since_ms: int,
            kind: str = "monitor") -> list[tuple[int, str]]:
    """(time, state entered) from `since_ms` on: the state the subject was in then
    (its first state from its creation until the first change), then every change.
    The changes are read back from the newest to the last one at or before
    `since_ms` (their index is by seq, and seq rises with time): the cost is the
    changes inside the window, whatever the history's length."""
    table, column, _, first, renamed = SUBJECTS[kind]
    rows = conn.execute(
        f"SELECT created_at, to_state FROM {table} WHERE {column} = ?1 AND seq >= coalesce(("
        f"SELECT seq FROM {table} WHERE {column} = ?1 AND created_at <= ?2 ORDER BY seq DESC LIMIT 1), 0) "
        "ORDER BY seq", (seq, since_ms)).fetchall()
    changes = sorted((at, renamed.get(state, state)) for at, state in rows)
    if not changes or changes[0][0] > since_ms:
        changes.insert(0, (created_at_ms, renamed.get(first, first)))
    return changes


def pauses(conn: sqlite3.Connection, seq: int, since_ms: int, kind: str = "monitor") -> list[tuple[int, int | None]]:
    _, column, table, _, _ = SUBJECTS[kind]
    return [tuple(row) for row in conn.execute(
        f"SELECT started_at, ended_at FROM {table} WHERE {column} = ? AND (ended_at IS NULL OR ended_at > ?)",
        (seq, since_ms)).fetchall()]


def subject_timeline(conn: sqlite3.Connection, seq: int, created_at_ms: int, since_ms: int,
                     kind: str = "monitor") -> Timeline:
    """The subject's history and pauses from `since_ms` on, folded (monitors/uptime.py)."""
    return timeline(history(conn, seq, created_at_ms, since_ms, kind), pauses(conn, seq, since_ms, kind))


def window_uptimes(line: Timeline, now_ms: int) -> dict[str, float | None]:
    return {name: percent(*counted(line, now_ms - size, now_ms)) for name, size in WINDOWS.items()}


def uptimes(conn: sqlite3.Connection, seq: int, created_at_ms: int, now_ms: int,
            kind: str = "monitor") -> dict[str, float | None]:
    """Uptime over each of WINDOWS (percent; None: nothing counted)."""
    return window_uptimes(subject_timeline(conn, seq, created_at_ms, now_ms - max(WINDOWS.values()), kind), now_ms)


def monitor_figures(conn: sqlite3.Connection, seq: int, created_at_ms: int, now_ms: int) -> Figures:
    percents = uptimes(conn, seq, created_at_ms, now_ms)
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


class Listed(NamedTuple):
    """What a list answers for each item: its uptimes (exact, as /status) and, for a monitor,
    its latency over the 24 hours before the last roll-up (rollups.latency_rows)."""
    uptime: dict[str, float | None]
    p50_ms: float | None = None
    p95_ms: float | None = None
    latency_checks: int = 0


class Timelines:
    """Each subject's timeline as last read, kept while its row says nothing changed (the
    same state since the same time, no update, no pause or resume: every change to its
    history bumps one of those), so a list walked again reads no history. Bounded: past
    MAX subjects it starts over. Shared by the read threads (a dict's get and set are
    atomic; two threads reading the same subject at once both read it, harmlessly)."""
    MAX = 20_000

    def __init__(self) -> None:
        self._lines: dict[tuple[str, int], tuple[tuple, Timeline]] = {}

    def of(self, conn: sqlite3.Connection, row: Any, now_ms: int, kind: str) -> Timeline:
        """A timeline that covers at least the longest of WINDOWS."""
        version = (row.current_state, row.state_since, row.status, row.updated_at)
        kept = self._lines.get((kind, row.seq))
        if kept is not None and kept[0] == version:
            return kept[1]
        # a day's margin: the timeline serves the reads of the next day too (it covers from then on)
        line = subject_timeline(conn, row.seq, row.created_at, now_ms - max(WINDOWS.values()) - DAY_MS, kind)
        if len(self._lines) >= self.MAX:
            self._lines.clear()
        self._lines[(kind, row.seq)] = (version, line)
        return line


def listed(conn: sqlite3.Connection, rows: list[Any], now_ms: int, kind: str = "monitor",
           timelines: Timelines | None = None) -> dict[int, Listed]:
    """seq -> Listed for a page of rows (with .seq, .created_at and the version fields of
    Timelines): a few point reads per item whose history changed, one read of the page's
    latencies, whatever the history's length."""
    timelines = timelines or Timelines()
    seqs = [row.seq for row in rows]
    latency: dict[int, tuple] = {}
    if kind == "monitor" and seqs:
        latency = {seq: rest for seq, *rest in conn.execute(
            f"SELECT monitor_seq, p50_ms, p95_ms, checks FROM monitor_latency "
            f"WHERE monitor_seq IN ({','.join('?' * len(seqs))})", seqs)}
    return {row.seq: Listed(window_uptimes(timelines.of(conn, row, now_ms, kind), now_ms),
                            *latency.get(row.seq, ())) for row in rows}


def with_figures(page: Callable[..., tuple[list[Any], bool]], kind: str = "monitor") -> Callable[..., Any]:
    """A list's page function whose rows come as (row, Listed) pairs, figured at `now_ms`."""
    def listed_page(conn: sqlite3.Connection, *, now_ms: int, timelines: Timelines,
                    **query: Any) -> tuple[list[tuple], bool]:
        rows, has_more = page(conn, **query)
        figures = listed(conn, rows, now_ms, kind, timelines)
        return [(row, figures[row.seq]) for row in rows], has_more
    return listed_page
