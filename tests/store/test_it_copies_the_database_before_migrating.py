"""Before migrate() changes the schema of a database that has one, it writes
`<db>.pre-migration-<from>-<to>` through the online backup API and logs it, keeping
the newest three such copies; a fresh database (version 0) gets none, and when the
copy cannot be written the database is not migrated."""

from __future__ import annotations

import os

import pytest
import structlog

from backupkit import database_at, files, read
from upstatd.store import db

NEWEST = db.newest_version()


def migrate(path) -> int:
    conn = db.connect(str(path))
    try:
        return db.migrate(conn)
    finally:
        conn.close()


def test_it_copies_an_older_database_before_migrating_it(tmp_path):
    path = tmp_path / "upstatd.db"
    database_at(path, 5, monitors=("web", "mail"))
    with structlog.testing.capture_logs() as logs:
        assert migrate(path) == NEWEST
    copy = tmp_path / f"upstatd.db.pre-migration-0005-{NEWEST:04d}"
    assert files(tmp_path) == ["upstatd.db", copy.name]
    assert read(copy, "PRAGMA user_version") == [(5,)]
    assert read(copy, "PRAGMA integrity_check") == [("ok",)]
    assert read(copy, "PRAGMA journal_mode") == [("delete",)]  # one file, no -wal needed beside it
    assert read(copy, "SELECT key FROM monitors ORDER BY key") == [("mail",), ("web",)]
    assert "events" not in {name for (name,) in read(copy, "SELECT name FROM sqlite_master")}  # 0006 made it
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert read(path, "PRAGMA user_version") == [(NEWEST,)]
    (logged,) = [entry for entry in logs if entry["event"] == "store.pre_migration_copy"]
    assert logged["path"] == str(copy) and (logged["from_version"], logged["to_version"]) == (5, NEWEST)
    assert logged["bytes"] == copy.stat().st_size

    assert migrate(path) == NEWEST  # up to date: nothing to migrate, no copy
    assert files(tmp_path) == ["upstatd.db", copy.name]


def test_it_makes_no_copy_of_a_fresh_database(tmp_path):
    path = tmp_path / "upstatd.db"
    db.prepare_file(str(path))
    assert migrate(path) == NEWEST
    assert files(tmp_path) == ["upstatd.db"]


def test_it_keeps_the_newest_three_copies_made_before_migrating(tmp_path):
    path = tmp_path / "upstatd.db"
    for version in (1, 2, 3, 4):  # four upgrades of the same database path
        for name in files(tmp_path):
            if not name.startswith("upstatd.db.pre-migration-"):
                os.remove(tmp_path / name)
        database_at(path, version)
        migrate(path)
    assert files(tmp_path) == ["upstatd.db"] + [f"upstatd.db.pre-migration-{version:04d}-{NEWEST:04d}"
                                                for version in (2, 3, 4)]


def test_it_does_not_migrate_when_the_copy_cannot_be_written(tmp_path):
    path = tmp_path / "upstatd.db"
    database_at(path, 6)
    (tmp_path / f"upstatd.db.pre-migration-0006-{NEWEST:04d}").mkdir()  # in the way of the copy's rename
    with pytest.raises(db.MigrationError, match="not migrating .* from schema version 6 .* could not be written"):
        migrate(path)
    assert read(path, "PRAGMA user_version") == [(6,)]
    assert [name for name in files(tmp_path) if name.endswith(".tmp")] == []


async def test_it_copies_the_database_before_the_daemon_migrates_it(tmp_path, start_api):
    path = tmp_path / "state" / "upstatd.db"
    path.parent.mkdir()
    database_at(path, 7, monitors=("web",))
    api = await start_api(f'storage: {{path: "{path}"}}')
    status, _, _ = await api.request("GET", "/api/monitors")
    assert status == 200
    copy = path.parent / f"upstatd.db.pre-migration-0007-{NEWEST:04d}"
    assert read(copy, "PRAGMA user_version") == [(7,)]
    assert read(copy, "SELECT key FROM monitors") == [("web",)]  # the daemon's reconcile removed it since
    assert read(path, "SELECT count(*) FROM monitors WHERE key = 'web'") == [(0,)]
