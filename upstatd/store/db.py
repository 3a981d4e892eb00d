"""Opening the SQLite file: pragmas, permissions, versioned migrations.

Migrations are `migrations/NNNN_name.sql`, applied in order at start, each
in one transaction that also bumps `PRAGMA user_version` to NNNN.
"""

from __future__ import annotations

import os
import re
import sqlite3
from importlib import resources
from pathlib import Path

import aiosqlite

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",   # WAL + NORMAL: durable across a process crash
    "PRAGMA busy_timeout = 5000",
    "PRAGMA temp_store = MEMORY",
)


class MigrationError(Exception):
    pass


def migrations() -> list[tuple[int, str, str]]:
    out = []
    for entry in resources.files("upstatd.store").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            out.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(out)


def prepare_file(path: str) -> None:
    """Create the directory and an empty 0600 database file: it will hold secrets
    (token hashes), and SQLite gives -wal and -shm files the same mode."""
    Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


async def connect(path: str, readonly: bool = False) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)  # explicit BEGIN/COMMIT
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    if readonly:
        await conn.execute("PRAGMA query_only = ON")
    return conn


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply pending migrations; returns the schema version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        (version,) = await cursor.fetchone()
    known = migrations()
    newest = known[-1][0] if known else 0
    if version > newest:
        raise MigrationError(f"the database is at schema version {version}, newer than this "
                             f"upstatd knows ({newest}); upgrade upstatd or restore a backup")
    for number, name, sql in known:
        if number > version:
            try:
                await conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
            except sqlite3.Error as exc:
                await conn.execute("ROLLBACK") if conn.in_transaction else None
                raise MigrationError(f"migration {number:04d}_{name} failed: {exc}") from exc
            version = number
    return version
