"""Making tokens: every way (first start, CLI, API) comes through `create_token`,
so the first token also pins the installation's API version; and the first
start's admin token, written to a 0600 file (only its path is logged)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import TypeVar

import structlog

import upstatd
from upstatd import permissions
from upstatd.clock import Clock
from upstatd.errors import NotFound
from upstatd.store import settings, tokens
from upstatd.store.tokens import Token
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.tokens")
T = TypeVar("T")

ADMIN_TOKEN_FILE = "admin-token"


def create_token(conn: sqlite3.Connection, name: str, granted: permissions.Permissions,
                 expires_at_ms: int | None, now_ms: int, metadata: dict[str, str] | None = None
                 ) -> tuple[Token, str]:
    """Inside the caller's transaction: the token and its secret (shown once)."""
    token, secret = tokens.create(conn, name, granted, expires_at_ms, now_ms, metadata)
    settings.pin_api_version(conn, upstatd.API_VERSIONS[-1])
    return token, secret


def revoke_token(conn: sqlite3.Connection, token_id: str, now_ms: int) -> tuple[Token, int | None]:
    """Inside the caller's transaction: the token revoked, and when it was revoked
    before (None: just now). It stops working at once; revoking twice keeps the first."""
    before = tokens.get(conn, token_id)
    if before is None:
        raise NotFound(f"no token with id '{token_id}'")
    after = tokens.revoke(conn, token_id, now_ms)
    assert after is not None
    return after, before.revoked_at


def in_transaction(conn: sqlite3.Connection, job: Callable[[sqlite3.Connection], T]) -> T:
    """`job` in one write transaction of a connection of its own (the CLI's, beside a running daemon)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = job(conn)
        conn.execute("COMMIT")
        return result
    except BaseException:
        conn.execute("ROLLBACK")
        raise


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
        if tokens.count_all(conn):
            return False
        _, secret = create_token(conn, "admin", permissions.everything(), None, round(clock.time() * 1000))
        write_secret_file(path, secret)
        return True

    if not await writer.run(create):
        return None
    log.info("api.admin_token_created", file=path)  # the path only: never the secret
    return path
