"""`upstatd restore` checks FILE before it touches anything: a schema newer than this
upstatd knows, garbage, a damaged page, a SQLite file that is no upstatd database, or
no file at all is refused with exit status 1 and a message, and the database, its
directory and FILE stay exactly as they were."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3

import pytest

from backupkit import damage_page, database_at, files
from cli import upstatd
from upstatd.store import backup, db

NEWEST = db.newest_version()


@pytest.fixture
def setup(tmp_path):
    """(config, database path, a good backup of it)"""
    path = tmp_path / "state" / "upstatd.db"
    database_at(path, NEWEST, monitors=("web",))
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany("INSERT INTO checks (monitor_seq, created_at, ok, state, latency_us) VALUES (1, ?, 1, 'up', 9)",
                         ((n,) for n in range(50_000)))
    conn.close()
    good = tmp_path / "good.db"
    backup.backup(str(path), str(good))
    config = tmp_path / "config.yaml"
    config.write_text(f'storage: {{path: "{path}"}}\nmonitors: []\n')
    return config, path, good


def state(path) -> tuple:
    """The database's inode and contents, and the other files beside it (but the lock
    file the restore takes its lock on, as the daemon does)."""
    return (os.stat(path).st_ino, hashlib.sha256(path.read_bytes()).hexdigest(),
            [name for name in files(path.parent) if name != "upstatd.db.lock"])


async def refused(config, path, candidate) -> str:
    before = state(path)
    candidate_before = candidate.read_bytes() if candidate.exists() else None
    code, out, err = await upstatd("restore", str(candidate), "-c", str(config))
    assert code == 1 and out == "", (out, err)
    assert err.startswith("upstatd: restore refused: ")
    assert state(path) == before  # no temp file left, nothing kept, nothing replaced
    assert (candidate.read_bytes() if candidate.exists() else None) == candidate_before
    return err


async def test_it_refuses_to_restore_a_backup_with_a_newer_schema(setup, tmp_path):
    config, path, good = setup
    newer = tmp_path / "newer.db"
    shutil.copy(good, newer)
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {NEWEST + 1}")
    conn.close()
    err = await refused(config, path, newer)
    assert (f"{newer} has schema version {NEWEST + 1}, newer than this upstatd knows ({NEWEST}): it was made "
            f"by a newer upstatd; upgrade upstatd to restore it") in err


async def test_it_refuses_to_restore_garbage(setup, tmp_path):
    config, path, good = setup
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(bytes((n * 37 + 11) % 256 for n in range(good.stat().st_size)))
    err = await refused(config, path, garbage)
    assert f"cannot read {garbage} as an upstatd database: file is not a database" in err


async def test_it_refuses_to_restore_a_backup_with_a_damaged_page(setup, tmp_path):
    config, path, good = setup
    damaged = tmp_path / "damaged.db"
    shutil.copy(good, damaged)
    damage_page(damaged)
    err = await refused(config, path, damaged)
    assert f"{damaged} fails PRAGMA integrity_check, not restored: " in err


async def test_it_refuses_to_restore_a_database_that_is_not_upstatds(setup, tmp_path):
    config, path, _ = setup
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (text)")
    conn.close()
    err = await refused(config, path, other)
    assert f"{other} is not an upstatd database (schema version 0, no monitors table)" in err


async def test_it_refuses_to_restore_a_file_that_is_not_there(setup, tmp_path):
    config, path, _ = setup
    err = await refused(config, path, tmp_path / "missing.db")
    assert f"no such file: {tmp_path / 'missing.db'}" in err
