"""The monitors table: reconciling the YAML monitors into it, state changes,
and the status summary that `upstatd status` prints."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

import aiosqlite
import msgspec

from upstatd.config.schema import MonitorSpec
from upstatd.ids import new_id


class StoredMonitor(NamedTuple):
    seq: int
    id: str
    state: str
    since: float  # wall seconds


def spec_columns(spec: MonitorSpec) -> tuple:
    """The stored form of a spec: (name, type, url, interval_ms, timeout_ms, spec JSON)."""
    rest = {
        "confirmation": msgspec.structs.asdict(spec.confirmation),
        "severity": spec.severity,
        "tags": list(spec.tags),
        "metadata": spec.metadata,
        spec.type: spec.options,
    }
    return (spec.name, spec.type, spec.url, round(spec.interval * 1000), round(spec.timeout * 1000),
            msgspec.json.encode(rest).decode())


async def reconcile(conn: aiosqlite.Connection, specs: tuple[MonitorSpec, ...] | list[MonitorSpec],
                    now: float) -> dict[str, StoredMonitor]:
    """Make the config-managed rows match `specs` (inside the caller's transaction).

    New keys are inserted as pending, changed ones updated with their state
    kept, removed ones deleted with their history. Returns key -> stored row.
    Statements go in batches: a start with 100,000 new monitors is one
    executemany, not 100,000 round trips to the database thread.
    """
    now_ms = round(now * 1000)
    stored = {row[0]: tuple(row) for row in await conn.execute_fetchall(
        "SELECT key, seq, id, current_state, state_since, name, type, url, interval_ms, timeout_ms, spec "
        "FROM monitors WHERE managed_by = 'config'")}
    (next_seq,) = (await conn.execute_fetchall("SELECT coalesce(max(seq), 0) + 1 FROM monitors"))[0]
    out: dict[str, StoredMonitor] = {}
    inserts, updates = [], []
    for spec in specs:
        columns = spec_columns(spec)
        row = stored.pop(spec.key, None)
        if row is None:
            monitor_id = new_id("mon")
            inserts.append((next_seq, monitor_id, spec.key, *columns, now_ms, now_ms, now_ms))
            out[spec.key] = StoredMonitor(next_seq, monitor_id, "pending", now)
            next_seq += 1
            continue
        _, seq, monitor_id, state, since_ms = row[:5]
        if row[5:] != columns:
            updates.append((*columns, now_ms, seq))
        out[spec.key] = StoredMonitor(seq, monitor_id, state, since_ms / 1000)
    await conn.executemany(
        "INSERT INTO monitors (seq, id, key, managed_by, name, type, url, interval_ms, timeout_ms, spec, "
        "current_state, state_since, created_at, updated_at) "
        "VALUES (?, ?, ?, 'config', ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)", inserts)
    await conn.executemany(
        "UPDATE monitors SET name = ?, type = ?, url = ?, interval_ms = ?, timeout_ms = ?, spec = ?, "
        "updated_at = ? WHERE seq = ?", updates)
    removed = [(row[1],) for row in stored.values()]
    for sql in ("DELETE FROM checks WHERE monitor_seq = ?",
                "DELETE FROM state_changes WHERE monitor_seq = ?",
                "DELETE FROM monitors WHERE seq = ?"):
        await conn.executemany(sql, removed)
    return out


SET_STATE = "UPDATE monitors SET current_state = ?, state_since = ? WHERE seq = ?"
INSERT_STATE_CHANGE = (
    "INSERT INTO state_changes (monitor_seq, created_at, from_state, to_state, check_seq, "
    "error_kind, error_message) VALUES (?, ?, ?, ?, ?, ?, ?)")

STATUS_QUERY = """
SELECT m.key, m.name, m.type, m.url, m.status, m.current_state, m.state_since,
       c.created_at, c.latency_us, c.status_code, c.error_kind, c.error_message
FROM monitors AS m
LEFT JOIN checks AS c ON c.seq = (SELECT max(seq) FROM checks WHERE monitor_seq = m.seq)
ORDER BY m.key
"""


def read_status(conn: sqlite3.Connection) -> list[dict]:
    """One dict per monitor, with the names of DESIGN.md's `upstatd status --json`."""
    out = []
    for row in conn.execute(STATUS_QUERY):
        (key, name, kind, url, status, state, since_ms, checked_ms, latency_us, status_code,
         error_kind, error_message) = row
        out.append({
            "key": key,
            "name": name,
            "type": kind,
            "url": url,
            "status": status,
            "state": state,
            "since": since_ms // 1000,
            "last_check_at": None if checked_ms is None else checked_ms // 1000,
            "latency_ms": None if latency_us is None else round(latency_us / 1000, 1),
            "status_code": status_code,
            "last_error": None if error_kind is None else {"kind": error_kind, "message": error_message},
        })
    return out
