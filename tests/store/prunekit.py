"""Rows for the pruning tests (store/retention.py), written with the store's own
statements where it has them, on the `store` fixture's real SQLite file."""

from __future__ import annotations

import sqlite3

from upstatd.config.alert_channels import ChannelSpec
from upstatd.delivery.outbox import Attempt
from upstatd.events import INSERT_EVENT
from upstatd.ids import new_id
from upstatd.store import alerts as alert_store
from upstatd.store import retention
from upstatd.store import webhooks as webhook_store

DAY_MS = 86_400_000
NOW_MS = 1_800_000_000_000
OK = Attempt(True, 200, 3.0, None)
FAILED = Attempt(False, 500, 3.0, "HTTP 500")


def event(conn: sqlite3.Connection, age_days: float) -> tuple[int, str]:
    """An event made `age_days` before NOW_MS: (seq, id)."""
    event_id = new_id("evt")
    cursor = conn.execute(INSERT_EVENT, (event_id, "monitor.down", NOW_MS - round(age_days * DAY_MS),
                                         '{"object": {}}'))
    return cursor.lastrowid, event_id


def endpoint(conn: sqlite3.Connection, cursor: int, enabled: bool = True) -> int:
    row = webhook_store.insert(conn, new_id("we"), "http://127.0.0.1:9/", ["*"], "secret", enabled, None, {},
                               NOW_MS)
    conn.execute("UPDATE webhook_endpoints SET cursor = ? WHERE seq = ?", (cursor, row.seq))
    return row.seq


def delivery(conn: sqlite3.Connection, endpoint_seq: int, event_id: str, age_days: float, attempt: int = 1,
             result: Attempt = OK, next_in_ms: int | None = None) -> int:
    at = NOW_MS - round(age_days * DAY_MS)
    return webhook_store.ledger(endpoint_seq).record(conn, event_id, "monitor.down", attempt, at, result,
                                                     None if next_in_ms is None else at + next_in_ms)


def channel(conn: sqlite3.Connection) -> int:
    spec = ChannelSpec(None, "ops", "webhook", {"url": "http://127.0.0.1:9/"})
    return alert_store.insert(conn, new_id("ch"), spec, "api", NOW_MS).seq


def incident(conn: sqlite3.Connection, status: str) -> str:
    incident_id = new_id("inc")
    conn.execute("INSERT INTO incidents (id, status, severity, type, source, title, started_at, created_at, "
                 "updated_at) VALUES (?, ?, 'critical', 'timeout', 'system', 'down', 0, 0, 0)",
                 (incident_id, status))
    return incident_id


def alert(conn: sqlite3.Connection, channel_seq: int, age_days: float, status: str, incident_id: str | None = None,
          reason: str = "opened", digest_id: str | None = None, alert_id: str | None = None) -> str:
    alert_id = alert_id or new_id("alt")
    at = NOW_MS - round(age_days * DAY_MS)
    conn.execute(*alert_store.insert_statement(alert_id, channel_seq, incident_id, reason, status, digest_id, None,
                                               {}, None, at))
    return alert_id


def attempt(conn: sqlite3.Connection, channel_seq: int, alert_id: str, age_days: float, result: Attempt = OK,
            next_in_ms: int | None = None) -> None:
    """An attempt's row alone (the alert's status is set by the test)."""
    at = NOW_MS - round(age_days * DAY_MS)
    conn.execute("INSERT INTO alert_attempts (channel_seq, event_id, event_type, attempt, created_at, ok, "
                 "status_code, latency_ms, error, next_attempt_at) VALUES (?, ?, 'opened', 1, ?, ?, ?, ?, ?, ?)",
                 (channel_seq, alert_id, at, int(result.ok), result.status_code, result.latency_ms, result.error,
                  None if next_in_ms is None else at + next_in_ms))


def set_cursor(conn: sqlite3.Connection, channel_seq: int) -> None:
    """The channel's consumer is done with every alert so far."""
    conn.execute("UPDATE alert_channels SET cursor = (SELECT max(seq) FROM alerts) WHERE seq = ?", (channel_seq,))


async def prune_all(writer, table: str, keep_days: float, batch: int = retention.BATCH) -> int:
    """Every window of `table`, one writer job each, as the daemon's pass goes: rows deleted."""
    removed, after = 0, 0
    while after is not None:
        start = after
        count, after = await writer.run(
            lambda conn: retention.prune(conn, table, start, NOW_MS - round(keep_days * DAY_MS), batch))
        assert count <= batch
        removed += count
    return removed


async def ids(database, sql: str) -> list:
    return [row[0] for row in await database.execute_fetchall(sql)]
