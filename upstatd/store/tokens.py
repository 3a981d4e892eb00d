"""API tokens: the secret is shown once and stored only as its SHA-256.

Secrets carry 190 random bits, so a plain hash is as good as a slow one
here, and lets a request find its token by one indexed lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import NamedTuple

import aiosqlite
import msgspec

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


async def create(conn: aiosqlite.Connection, name: str, permissions: dict[str, list[str]],
                 expires_at: int | None, now_ms: int, metadata: dict[str, str] | None = None
                 ) -> tuple[Token, str]:
    """Insert a token (inside the caller's transaction); returns it and its secret."""
    secret = make_secret()
    token_id = new_id("tok")
    cursor = await conn.execute(
        "INSERT INTO tokens (id, name, secret_hash, permissions, metadata, expires_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (token_id, name, hash_secret(secret), msgspec.json.encode(permissions).decode(),
         msgspec.json.encode(metadata or {}).decode(), expires_at, now_ms))
    token = Token(cursor.lastrowid, token_id, name, permissions, metadata or {}, expires_at, None, None, now_ms)
    return token, secret


async def find_by_secret(conn: aiosqlite.Connection, secret: str) -> Token | None:
    digest = hash_secret(secret)
    rows = await conn.execute_fetchall(
        f"SELECT {COLUMNS}, secret_hash FROM tokens WHERE secret_hash = ?", (digest,))
    if not rows:
        return None
    row = rows[0]
    if not hmac.compare_digest(row[-1], digest):  # constant time, whatever the index did
        return None
    return from_row(row[:-1])


async def get(conn: aiosqlite.Connection, token_id: str) -> Token | None:
    rows = await conn.execute_fetchall(f"SELECT {COLUMNS} FROM tokens WHERE id = ?", (token_id,))
    return from_row(rows[0]) if rows else None


async def count_active(conn: aiosqlite.Connection) -> int:
    rows = await conn.execute_fetchall("SELECT count(*) FROM tokens WHERE revoked_at IS NULL")
    return rows[0][0]


async def list_all(conn: aiosqlite.Connection) -> list[Token]:
    """Every token, newest first (the CLI's list; the API pages instead)."""
    rows = await conn.execute_fetchall(f"SELECT {COLUMNS} FROM tokens ORDER BY seq DESC")
    return [from_row(row) for row in rows]


async def revoke(conn: aiosqlite.Connection, token_id: str, now_ms: int) -> Token | None:
    """Revoke (inside the caller's transaction); a token already revoked keeps its revoked_at."""
    await conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                       (now_ms, token_id))
    return await get(conn, token_id)


async def update(conn: aiosqlite.Connection, token_id: str, name: str,
                 metadata: dict[str, str]) -> Token | None:
    await conn.execute("UPDATE tokens SET name = ?, metadata = ? WHERE id = ?",
                       (name, msgspec.json.encode(metadata).decode(), token_id))
    return await get(conn, token_id)
