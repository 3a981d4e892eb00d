"""Where an outbox consumer keeps its place: plain sqlite3, run on the read
connection or inside a writer transaction.

A kind of consumer (webhook endpoints, alert channels) has two tables of
this shape, and each consumer is one row of the first:

- `targets`: `seq`, `cursor` (the last event seq done with), `failing_since`
  (ms, the first failure of the current streak), `enabled`,
  `disabled_reason`, `updated_at`;
- `attempts`: one row per attempt, pointing at its target by `owner`:
  `event_id`, `event_type`, `attempt` (1, 2, ... per event), `created_at`,
  `ok`, `status_code`, `latency_ms`, `error`, `next_attempt_at` (ms: when
  the retry goes, so a restart resumes the wait).

What a consumer reads is `pending`: the events table for webhooks; an alert
channel reads its own queue instead (store/alerts.py AlertLedger).

Table and column names come from code, never from input.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple


class Ledger(NamedTuple):
    targets: str   # "webhook_endpoints"
    attempts: str  # "webhook_deliveries"
    owner: str     # the attempts' column naming the target: "endpoint_seq"
    seq: int       # this consumer's row in `targets`

    def pending(self, after: int, limit: int) -> tuple[str, tuple]:
        """The query of the next `limit` items after seq `after`: (seq, id, type, created_at ms, data JSON)."""
        return "SELECT seq, id, type, created_at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)

    def load(self, conn: sqlite3.Connection) -> tuple[int, int | None] | None:
        """(cursor, failing_since ms) of the target, or None if it is gone or disabled."""
        rows = conn.execute(f"SELECT cursor, failing_since FROM {self.targets} WHERE seq = ? AND enabled = 1",
                            (self.seq,)).fetchall()
        return (rows[0][0], rows[0][1]) if rows else None

    def last_attempt(self, conn: sqlite3.Connection, event_id: str) -> tuple[int, int | None]:
        """(attempts made so far, next_attempt_at ms of the last) for an event: a restart resumes the count."""
        rows = conn.execute(
            f"SELECT attempt, next_attempt_at FROM {self.attempts} WHERE {self.owner} = ? AND event_id = ? "
            "ORDER BY seq DESC LIMIT 1", (self.seq, event_id)).fetchall()
        return (rows[0][0], rows[0][1]) if rows else (0, None)

    def record(self, conn: sqlite3.Connection, event_id: str, event_type: str, attempt: int, at_ms: int,
               result: Any, next_at_ms: int | None) -> int:
        """One attempt's row (`result`: an outbox Attempt); returns its seq."""
        cursor = conn.execute(
            f"INSERT INTO {self.attempts} ({self.owner}, event_id, event_type, attempt, created_at, ok, "
            "status_code, latency_ms, error, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.seq, event_id, event_type, attempt, at_ms, int(result.ok), result.status_code,
             result.latency_ms, result.error, next_at_ms))
        return cursor.lastrowid

    def advance_statement(self, seq: int) -> tuple[str, tuple]:
        """The cursor moved to `seq` (never back): for the writer's queue when no attempt goes with it."""
        return f"UPDATE {self.targets} SET cursor = max(cursor, ?) WHERE seq = ?", (seq, self.seq)

    def advance(self, conn: sqlite3.Connection, seq: int) -> None:
        conn.execute(*self.advance_statement(seq))

    def set_failing(self, conn: sqlite3.Connection, since_ms: int | None) -> None:
        conn.execute(f"UPDATE {self.targets} SET failing_since = ? WHERE seq = ?", (since_ms, self.seq))

    def disable(self, conn: sqlite3.Connection, reason: str, at_ms: int) -> bool:
        """Disable the target (keeping failing_since, which tells since when); False if it already was."""
        cursor = conn.execute(f"UPDATE {self.targets} SET enabled = 0, disabled_reason = ?, updated_at = ? "
                              "WHERE seq = ? AND enabled = 1", (reason, at_ms, self.seq))
        return cursor.rowcount == 1
