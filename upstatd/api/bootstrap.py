"""First start: an admin token written to a 0600 file (only its path is logged),
and the API version the installation is pinned to."""

from __future__ import annotations

import sqlite3
import os

import structlog

from upstatd.api import permissions
from upstatd.clock import Clock
from upstatd.store import tokens
from upstatd.store.tokens import Token
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.api")

VERSIONS = ("2026-11-01",)  # supported Upstat-Version values, newest last
ADMIN_TOKEN_FILE = "admin-token"


def api_version(conn: sqlite3.Connection) -> str:
    rows = conn.execute("SELECT value FROM settings WHERE key = 'api_version'").fetchall()
    return rows[0][0] if rows else VERSIONS[-1]


def pin_version(conn: sqlite3.Connection) -> None:
    """The installation keeps the version that was current when its first token was made."""
    conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('api_version', ?)", (VERSIONS[-1],))


def create_token(conn: sqlite3.Connection, name: str, granted: permissions.Permissions,
                       expires_at_ms: int | None, now_ms: int, metadata: dict[str, str] | None = None
                       ) -> tuple[Token, str]:
    """Every way of making a token (first start, CLI, API) comes through here, inside the
    caller's transaction, so that the first one also pins the API version."""
    token, secret = tokens.create(conn, name, granted, expires_at_ms, now_ms, metadata)
    pin_version(conn)
    return token, secret


def admin_token_path(storage_path: str) -> str:
    """`<state dir>/admin-token`: beside the database."""
    return os.path.join(os.path.dirname(os.path.abspath(storage_path)), ADMIN_TOKEN_FILE)


def write_secret_file(path: str, secret: str) -> None:
    """Write `secret` to `path`, mode 0600 from the first byte, replacing any old file atomically."""
    temporary = f"{path}.tmp"
    try:
        os.unlink(temporary)
    except FileNotFoundError:
        pass
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secret + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


async def bootstrap_admin_token(writer: Writer, storage_path: str, clock: Clock) -> str | None:
    """With no token at all, make one with every permission; returns the file it went to.

    The file is written before the transaction commits: if it cannot be written, no token
    exists that nobody knows the secret of, and the next start tries again."""
    path = admin_token_path(storage_path)

    def create(conn: sqlite3.Connection) -> bool:
        if (conn.execute("SELECT count(*) FROM tokens").fetchall())[0][0]:
            return False
        _, secret = create_token(conn, "admin", permissions.everything(), None,
                                       round(clock.time() * 1000))
        write_secret_file(path, secret)
        return True

    if not await writer.run(create):
        return None
    log.info("api.admin_token_created", file=path)  # the path only: never the secret
    return path
