"""Helpers of the backup, restore and pre-migration copy tests (the daemon fixtures
are in this directory's conftest.py): databases at an older schema version, reading a
file back read-only, damaging one."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from upstatd.store import db

def read(path: Path | str, sql: str, *args) -> list[tuple]:
    """Rows from the file at `path` on a read-only connection of our own."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def database_at(path: Path | str, version: int, monitors: tuple[str, ...] = ("old",)) -> None:
    """A database as an older upstatd left it: only the first migrations, up to `version`,
    applied the way db.migrate applies them, and a monitor row or two in it."""
    db.prepare_file(str(path))
    conn = db.connect(str(path))
    try:
        for number, _, sql in db.migrations():
            if number <= version:
                conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
        for key in monitors:
            conn.execute("INSERT INTO monitors (id, key, managed_by, name, type, url, interval_ms, timeout_ms, "
                         "spec, state_since, created_at, updated_at) VALUES (?, ?, 'config', ?, 'tcp', "
                         "'tcp://127.0.0.1:1', 60000, 10000, '{}', 0, 0, 0)", (f"mon_{key}", key, key))
    finally:
        conn.close()


def damage_page(path: Path | str, fraction: float = 0.5) -> None:
    """Overwrite one whole page about `fraction` into the file with garbage (not page 1,
    so SQLite still opens the file; integrity_check finds it)."""
    size = os.path.getsize(path)
    (page_size,) = read(path, "PRAGMA page_size")[0]
    page = max(1, int(size * fraction) // page_size)
    with open(path, "r+b") as handle:
        handle.seek(page * page_size)
        handle.write(bytes((n * 151 + 7) % 256 for n in range(page_size)))


def files(directory: Path) -> list[str]:
    return sorted(entry.name for entry in directory.iterdir())
