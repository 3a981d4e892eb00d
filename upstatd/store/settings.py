"""Installation settings kept in the `settings` table that are not the API's."""

from __future__ import annotations

import secrets
import sqlite3

from upstatd.ids import KEY_SIZE


def id_key(conn: sqlite3.Connection) -> bytes:
    """The key of row ids (ids.seq_id): 32 random bytes made at the first start
    and never changed, or every chk_/png_ id given out before would change.
    Inside the caller's transaction; a racing first writer's key wins."""
    conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('id_key', ?)",
                       (secrets.token_bytes(KEY_SIZE).hex(),))
    rows = conn.execute("SELECT value FROM settings WHERE key = 'id_key'").fetchall()
    return bytes.fromhex(rows[0][0])


def link_key(conn: sqlite3.Connection) -> bytes:
    """The key of acknowledge and resolve links (alerts.links): 32 random bytes
    made at the first start, the same way as id_key. A secret: whoever has it can
    make links that move any incident; never logged or shown. Inside the caller's
    transaction; a racing first writer's key wins."""
    conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('link_key', ?)",
                 (secrets.token_bytes(KEY_SIZE).hex(),))
    rows = conn.execute("SELECT value FROM settings WHERE key = 'link_key'").fetchall()
    return bytes.fromhex(rows[0][0])


def api_version(conn: sqlite3.Connection) -> str | None:
    """The API version the installation is pinned to (None: no token made yet)."""
    rows = conn.execute("SELECT value FROM settings WHERE key = 'api_version'").fetchall()
    return rows[0][0] if rows else None


def pin_api_version(conn: sqlite3.Connection, version: str) -> None:
    """Keep `version` unless one is pinned already."""
    conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('api_version', ?)", (version,))
