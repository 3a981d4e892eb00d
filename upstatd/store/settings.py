"""Installation settings kept in the `settings` table that are not the API's."""

from __future__ import annotations

import secrets

import aiosqlite

from upstatd.ids import KEY_SIZE


async def id_key(conn: aiosqlite.Connection) -> bytes:
    """The key of row ids (ids.seq_id): 32 random bytes made at the first start
    and never changed, or every chk_/png_ id given out before would change.
    Inside the caller's transaction; a racing first writer's key wins."""
    await conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('id_key', ?)",
                       (secrets.token_bytes(KEY_SIZE).hex(),))
    rows = await conn.execute_fetchall("SELECT value FROM settings WHERE key = 'id_key'")
    return bytes.fromhex(rows[0][0])
