"""First start: an admin token written to a 0600 file (only its path is logged),
and the API version the installation is pinned to."""

from __future__ import annotations

import os

import aiosqlite
import structlog

from upstatd.api import permissions
from upstatd.clock import Clock
from upstatd.store import tokens
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.api")

VERSIONS = ("2026-11-01",)  # supported Upstat-Version values, newest last


async def api_version(conn: aiosqlite.Connection) -> str:
    rows = await conn.execute_fetchall("SELECT value FROM settings WHERE key = 'api_version'")
    return rows[0][0] if rows else VERSIONS[-1]


async def pin_version(conn: aiosqlite.Connection) -> None:
    """The installation keeps the version that was current when its first token was made."""
    await conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('api_version', ?)", (VERSIONS[-1],))


async def bootstrap_admin_token(writer: Writer, storage_path: str, clock: Clock) -> str | None:
    """With no token at all, make one with every permission; returns the file it went to."""

    async def create(conn: aiosqlite.Connection) -> str | None:
        if (await conn.execute_fetchall("SELECT count(*) FROM tokens"))[0][0]:
            return None
        _, secret = await tokens.create(conn, "admin", permissions.everything(), None,
                                        round(clock.time() * 1000))
        await pin_version(conn)
        return secret

    secret = await writer.run(create)
    if secret is None:
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(storage_path)), "admin-token")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)
    log.info("api.admin_token_created", file=path)
    return path
