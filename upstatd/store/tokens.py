"""API tokens: the secret is shown once and stored only as its SHA-256.

Secrets carry 190 random bits, so a plain hash is as good as a slow one
here, and lets a request find its token by one indexed lookup.
"""

from __future__ import annotations

import sqlite3
import hashlib
import hmac
import secrets
from typing import NamedTuple

import msgspec

from upstatd.store import pages

from upstatd.ids import _base62, new_id

# Times are Unix milliseconds here, like the other tables; the API shows seconds.

SECRET_PREFIX = "upst_"


class Token(NamedTuple):
    seq: int
    id: str
    name: str
    permissions: dict[str, list[str]]
    metadata: dict[str, str]
    expires_at: int | None      # Unix ms
    last_used_at: int | None
    revoked_at: int | None
    created_at: int


TABLE = "tokens"
COLUMNS = "seq, id, name, permissions, metadata, expires_at, last_used_at, revoked_at, created_at"


def make_secret() -> str:
    return SECRET_PREFIX + _base62(secrets.randbits(190)).rjust(32, "0")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def from_row(row) -> Token:
    seq, id_, name, permissions, metadata, expires_at, last_used_at, revoked_at, created_at = row
    return Token(seq, id_, name, msgspec.json.decode(permissions), msgspec.json.decode(metadata),
                 expires_at, last_used_at, revoked_at, created_at)


def create(conn: sqlite3.Connection, name: str, permissions: dict[str, list[str]],
                 expires_at: int | None, now_ms: int, metadata: dict[str, str] | None = None
                 ) -> tuple[Token, str]:
    """Insert a token (inside the caller's transaction); returns it and its secret."""
    secret = make_secret()
    token_id = new_id("tok")
    cursor = conn.execute(
        "INSERT INTO tokens (id, name, secret_hash, permissions, metadata, expires_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (token_id, name, hash_secret(secret), msgspec.json.encode(permissions).decode(),
         msgspec.json.encode(metadata or {}).decode(), expires_at, now_ms))
    token = Token(cursor.lastrowid, token_id, name, permissions, metadata or {}, expires_at, None, None, now_ms)
    return token, secret


def find_by_secret(conn: sqlite3.Connection, secret: str) -> Token | None:
    digest = hash_secret(secret)
    rows = conn.execute(
        f"SELECT {COLUMNS}, secret_hash FROM tokens WHERE secret_hash = ?", (digest,)).fetchall()
    if not rows:
        return None
    row = rows[0]
    if not hmac.compare_digest(row[-1], digest):  # constant time, whatever the index did
        return None
    return from_row(row[:-1])


def get(conn: sqlite3.Connection, token_id: str) -> Token | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM tokens WHERE id = ?", (token_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def count_all(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM tokens").fetchone()[0]


def count_active(conn: sqlite3.Connection) -> int:
    rows = conn.execute("SELECT count(*) FROM tokens WHERE revoked_at IS NULL").fetchall()
    return rows[0][0]


def list_all(conn: sqlite3.Connection) -> list[Token]:
    """Every token, newest first (the CLI's list; the API pages instead)."""
    rows = conn.execute(f"SELECT {COLUMNS} FROM tokens ORDER BY seq DESC").fetchall()
    return [from_row(row) for row in rows]


def touch_statement(seq: int, now_ms: int) -> tuple[str, tuple]:
    """The token was used now: for `writer.add` (queued, not waited for)."""
    return "UPDATE tokens SET last_used_at = ? WHERE seq = ?", (now_ms, seq)


def revoke(conn: sqlite3.Connection, token_id: str, now_ms: int) -> Token | None:
    """Revoke (inside the caller's transaction); a token already revoked keeps its revoked_at."""
    conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                       (now_ms, token_id))
    return get(conn, token_id)


def update(conn: sqlite3.Connection, token_id: str, name: str,
                 metadata: dict[str, str]) -> Token | None:
    conn.execute("UPDATE tokens SET name = ?, metadata = ? WHERE id = ?",
                       (name, msgspec.json.encode(metadata).decode(), token_id))
    return get(conn, token_id)


def list_page(conn: sqlite3.Connection, *, revoked: bool | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None) -> tuple[list[Token], bool]:
    """One page of tokens, newest first; `revoked`: only revoked ones (True) or only the others (False)."""
    where = "1" if revoked is None else ("revoked_at IS NOT NULL" if revoked else "revoked_at IS NULL")
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [from_row(row) for row in rows], has_more
