"""Rollups: each monitor's checks summarized per hour and per day, and the
pruning that keeps the database bounded.

`pending(conn, now_ms)` (on the read connection: no writer time) summarizes
the complete hours after the cursor (`settings.rollup_until`), at most
MAX_HOURS at a time, and the days they complete; `save(conn, batch)` (one
writer transaction) replaces those rows and moves the cursor: a crash before
it commits repeats the batch, which replaces the same rows (nothing lost,
nothing counted twice). An hour is complete LAG_MS after its end, once its
last checks are surely committed.

`prune(conn, ...)` deletes raw checks older than the retention, never one
not rolled up yet, and rollups older than theirs, a batch at a time (the
oldest rows are the lowest seqs: no index needed). SQLite reuses the freed
pages, so the file stops growing once retention is reached.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.monitors import histogram

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
LAG_MS = 120_000      # an hour is rolled up two minutes after it ends
MAX_HOURS = 3         # hours summarized per batch: a catch-up (an upgrade, a long stop) goes in steps that
                      # each hold the read connection, which API reads share, a fraction of a second
PRUNE_BATCH = 5_000   # rows deleted per statement
PHASES = ("resolve", "connect", "tls", "first_byte", "transfer")
COLUMNS = ("monitor_seq, period, start_at, checks, failures, ok_checks, latency_min_us, latency_max_us, "
           "latency_sum_us, histogram, phases, errors")
# msgpack, not JSON: a rollup row is about half the size (measured by bench/retention.py), and
# 1,000 monitors keep 14 days of hourly rows and 400 of daily ones
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


class Rollup(NamedTuple):
    monitor_seq: int
    period: str            # hour | day
    start_at: int
    checks: int
    failures: int
    ok_checks: int
    latency_min_us: int | None
    latency_max_us: int | None
    latency_sum_us: int
    histogram: dict[int, int]
    phases: dict[str, list[int]]   # phase -> [sum_us, count]
    errors: dict[str, int]

    def row(self) -> tuple:
        return (*self[:9], _encoder.encode(self.histogram), _encoder.encode(self.phases),
                _encoder.encode(self.errors))


def from_row(row: Any) -> Rollup:
    values = list(row)
    values[9] = _decoder.decode(values[9])
    values[10] = _decoder.decode(values[10])
    values[11] = _decoder.decode(values[11])
    return Rollup(*values)


class Batch(NamedTuple):
    rollups: list[Rollup]
    until: int             # the cursor after it
    more: bool             # complete hours are still waiting
    latency: list[tuple] | None = None  # monitor_latency rows at `until`: the last batch of a pass has them


# -- summarizing (pure over rows) ----------------------------------------------------------

def summarize(monitor_seq: int, period: str, start_at: int, rows: list[tuple]) -> Rollup:
    """rows: (ok, latency_us, error_kind, resolve_us, connect_us, tls_us, first_byte_us, transfer_us)."""
    failures, latencies, errors = 0, [], {}
    phases: dict[str, list[int]] = {}
    for ok, latency_us, error_kind, *timings in rows:
        if ok:
            latencies.append(latency_us)
        else:
            failures += 1
            errors[error_kind or "unknown"] = errors.get(error_kind or "unknown", 0) + 1
        for name, value in zip(PHASES, timings):
            if value is not None:
                total = phases.setdefault(name, [0, 0])
                total[0] += value
                total[1] += 1
    return Rollup(monitor_seq, period, start_at, len(rows), failures, len(latencies),
                  min(latencies) if latencies else None, max(latencies) if latencies else None, sum(latencies),
                  histogram.of(us / 1000 for us in latencies), phases, errors)


def combine(monitor_seq: int, period: str, start_at: int, parts: list[Rollup]) -> Rollup:
    """Several rollups as one (hours into a day, days into a range)."""
    lows = [part.latency_min_us for part in parts if part.latency_min_us is not None]
    highs = [part.latency_max_us for part in parts if part.latency_max_us is not None]
    phases: dict[str, list[int]] = {}
    errors: dict[str, int] = {}
    for part in parts:
        for name, (total, count) in part.phases.items():
            into = phases.setdefault(name, [0, 0])
            into[0] += total
            into[1] += count
        for kind, count in part.errors.items():
            errors[kind] = errors.get(kind, 0) + count
    return Rollup(monitor_seq, period, start_at, sum(p.checks for p in parts), sum(p.failures for p in parts),
                  sum(p.ok_checks for p in parts), min(lows) if lows else None, max(highs) if highs else None,
                  sum(p.latency_sum_us for p in parts), histogram.merge(p.histogram for p in parts), phases, errors)


# -- the batch -------------------------------------------------------------------------------

def cursor(conn: sqlite3.Connection) -> int | None:
    rows = conn.execute("SELECT value FROM settings WHERE key = 'rollup_until'").fetchall()
    return int(rows[0][0]) if rows else None


def pending(conn: sqlite3.Connection, now_ms: int) -> Batch | None:
    """The next batch of complete hours (and the days they finish), or None when up to date."""
    until = cursor(conn)
    if until is None:  # the first run: from the oldest check's hour
        (oldest,) = conn.execute("SELECT min(created_at) FROM checks").fetchone()
        if oldest is None:
            return None
        until = oldest - oldest % HOUR_MS
    complete = (now_ms - LAG_MS) - (now_ms - LAG_MS) % HOUR_MS  # hours before this one are complete
    if until >= complete:
        return None
    end = min(complete, until + MAX_HOURS * HOUR_MS)
    by_hour: dict[tuple[int, int], list[tuple]] = {}
    for monitor_seq, created_at, *rest in conn.execute(
            "SELECT monitor_seq, created_at, ok, latency_us, error_kind, resolve_us, connect_us, tls_us, "
            "first_byte_us, transfer_us FROM checks WHERE created_at >= ? AND created_at < ?", (until, end)):
        by_hour.setdefault((monitor_seq, created_at - created_at % HOUR_MS), []).append(rest)
    out = [summarize(seq, "hour", start, rows) for (seq, start), rows in sorted(by_hour.items())]
    # the days these hours finish: the day's earlier hours are stored already
    first_day = until - until % DAY_MS
    for day in range(first_day, end, DAY_MS):
        if day + DAY_MS > end:
            break
        stored = [from_row(row) for row in conn.execute(
            f"SELECT {COLUMNS} FROM rollups WHERE period = 'hour' AND start_at >= ? AND start_at < ?",
            (day, min(day + DAY_MS, until)))]
        hours: dict[int, list[Rollup]] = {}
        for part in stored + [r for r in out if day <= r.start_at < day + DAY_MS]:
            hours.setdefault(part.monitor_seq, []).append(part)
        out.extend(combine(seq, "day", day, parts) for seq, parts in sorted(hours.items()))
    more = end < complete
    return Batch(out, end, more, None if more else latency_rows(conn, until, end, out))


def latency_rows(conn: sqlite3.Connection, until: int, end: int, new: list[Rollup]) -> list[tuple]:
    """(monitor_seq, end, good checks, p50_ms, p95_ms) over the 24 hours before `end`, for every
    monitor with a good check in them: the hours stored before `until` and the `new` ones. What
    the monitors list shows without merging 24 histograms per item (store/fleet.py); a catch-up
    computes it once, at its last batch. One monitor's hours at a time: memory stays small."""
    since = end - DAY_MS
    fresh: dict[int, list[Rollup]] = {}
    for rollup in new:
        if rollup.period == "hour" and rollup.start_at >= since:
            fresh.setdefault(rollup.monitor_seq, []).append(rollup)
    out = []
    for (seq,) in conn.execute("SELECT seq FROM monitors ORDER BY seq").fetchall():
        hours = between(conn, seq, "hour", since, until) + fresh.get(seq, [])
        good = sum(hour.ok_checks for hour in hours)
        if not good:
            continue
        low = min(hour.latency_min_us for hour in hours if hour.latency_min_us is not None) / 1000
        high = max(hour.latency_max_us for hour in hours if hour.latency_max_us is not None) / 1000
        merged = histogram.merge(hour.histogram for hour in hours)
        out.append((seq, end, good, histogram.percentile(merged, 50, low, high),
                    histogram.percentile(merged, 95, low, high)))
    return out


def save(conn: sqlite3.Connection, batch: Batch) -> None:
    """One transaction: the rows replaced, the cursor moved (never back)."""
    conn.executemany(f"INSERT OR REPLACE INTO rollups ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [rollup.row() for rollup in batch.rollups])
    conn.execute("INSERT INTO settings (key, value) VALUES ('rollup_until', ?) ON CONFLICT (key) DO UPDATE SET "
                 "value = max(CAST(value AS INTEGER), excluded.value)", (str(batch.until),))
    if batch.latency is not None:  # the monitors without a good check in those 24 hours have none
        conn.executemany("INSERT OR REPLACE INTO monitor_latency (monitor_seq, until_at, checks, p50_ms, p95_ms) "
                         "VALUES (?, ?, ?, ?, ?)", batch.latency)
        conn.execute("DELETE FROM monitor_latency WHERE until_at < ?", (batch.until,))


# -- pruning ------------------------------------------------------------------------------------

def prune(conn: sqlite3.Connection, now_ms: int, checks_ms: float, rollups_ms: float,
          hourly_ms: float | None = None) -> int:
    """One batch of each: raw checks older than `checks_ms` and rolled up, hourly rollups older
    than `hourly_ms` (default: `rollups_ms`), daily ones older than `rollups_ms`. Returns how many rows went (the caller repeats while that is a full batch).
    Each statement reads at most a batch of rows, whatever the table's size."""
    rolled = cursor(conn)
    if rolled is None:
        return 0
    before = min(now_ms - round(checks_ms), rolled)
    # checks are numbered as they come, so the oldest are the lowest seqs
    (last,) = conn.execute(
        "SELECT max(seq) FROM (SELECT seq, created_at FROM checks ORDER BY seq LIMIT ?) WHERE created_at < ?",
        (PRUNE_BATCH, before)).fetchone()
    removed = 0
    if last is not None:  # never the newest: the next start numbers checks after it (chk_ ids are never reused)
        (newest,) = conn.execute("SELECT max(seq) FROM checks").fetchone()
        removed += conn.execute("DELETE FROM checks WHERE seq <= ? AND seq < ? AND created_at < ?",
                                (last, newest, before)).rowcount
    for period, keep_ms in (("hour", rollups_ms if hourly_ms is None else hourly_ms), ("day", rollups_ms)):
        removed += conn.execute(
            "DELETE FROM rollups WHERE (period, start_at, monitor_seq) IN (SELECT period, start_at, monitor_seq "
            "FROM rollups WHERE period = ? AND start_at < ? ORDER BY start_at LIMIT ?)",
            (period, now_ms - round(keep_ms), PRUNE_BATCH)).rowcount
    return removed


# -- reads ---------------------------------------------------------------------------------------

def between(conn: sqlite3.Connection, monitor_seq: int, period: str, since_ms: int, until_ms: int) -> list[Rollup]:
    return [from_row(row) for row in conn.execute(
        f"SELECT {COLUMNS} FROM rollups WHERE monitor_seq = ? AND period = ? AND start_at >= ? AND start_at < ? "
        "ORDER BY start_at", (monitor_seq, period, since_ms, until_ms))]
