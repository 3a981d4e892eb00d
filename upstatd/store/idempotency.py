"""The idempotency_keys table: a row per Idempotency-Key, `status NULL` while
its first request runs, then that request's answer (upstatd.api.idempotency
decides; this module only reads and writes the rows). Times are Unix ms."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

RELEASE = "DELETE FROM idempotency_keys WHERE key = ? AND status IS NULL"


class KeyRow(NamedTuple):
    token_id: str
    request_hash: str
    status: int | None     # None: the first request is still running
    body: bytes | None
    created_at: int


def delete_expired(conn: sqlite3.Connection, before_ms: int) -> None:
    """Keys first used at or before `before_ms`."""
    conn.execute("DELETE FROM idempotency_keys WHERE created_at <= ?", (before_ms,))


def get(conn: sqlite3.Connection, key: str) -> KeyRow | None:
    rows = conn.execute("SELECT token_id, request_hash, status, body, created_at FROM idempotency_keys "
                        "WHERE key = ?", (key,)).fetchall()
    return KeyRow(*rows[0]) if rows else None


def insert(conn: sqlite3.Connection, key: str, token_id: str, request_hash: str, now_ms: int) -> None:
    """A key claimed by a request now running."""
    conn.execute("INSERT INTO idempotency_keys (key, token_id, request_hash, status, body, created_at) "
                 "VALUES (?, ?, ?, NULL, NULL, ?)", (key, token_id, request_hash, now_ms))


def take_over(conn: sqlite3.Connection, key: str, now_ms: int) -> None:
    """A running key whose request died with its daemon, claimed again now."""
    conn.execute("UPDATE idempotency_keys SET created_at = ? WHERE key = ?", (now_ms, key))


def finish(conn: sqlite3.Connection, key: str, status: int, body: bytes) -> None:
    """The answer of the key's request, kept for replays."""
    conn.execute("UPDATE idempotency_keys SET status = ?, body = ? WHERE key = ? AND status IS NULL",
                 (status, body, key))


def release_statement(key: str) -> tuple[str, tuple]:
    """Forget a running key (its request failed or was refused), for `writer.add`."""
    return RELEASE, (key,)
