"""`upstatd restore` with the daemon stopped: the backup's contents become the database
(0600, owned like the file it replaces), the database that was there is kept as
`<db>.before-restore-<time>` with its -wal (what a crash left uncheckpointed), no stale
-wal or -shm stays beside the restored file, and the daemon then starts on it. A backup
from an older upstatd is migrated when the daemon starts."""

from __future__ import annotations

import asyncio
import calendar
import sys
import time

from backupkit import database_at, files, read
from cli import upstatd
from upstatd.store import db

CRASH_AFTER_WRITE = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("INSERT INTO settings (key, value) VALUES ('written_after_the_backup', '1')")
os._exit(0)  # a crash: the row is committed in the -wal, never checkpointed into the file
"""


async def monitor_names(api) -> list[str]:
    status, _, listed = await api.request("GET", "/api/monitors?limit=100")
    assert status == 200, listed
    return sorted(monitor["name"] for monitor in listed["data"])


async def test_it_restores_a_backup_and_keeps_the_database_it_replaces(start_api, tmp_path):
    path = tmp_path / "state" / "upstatd.db"
    api = await start_api(f'storage: {{path: "{path}"}}')
    config = str(api.config_path)
    body = {"type": "tcp", "url": "tcp://127.0.0.1:9", "interval_seconds": 60}
    assert (await api.request("POST", "/api/monitors", json={**body, "name": "before the backup"}))[0] == 201
    backup = tmp_path / "nightly.db"
    code, out, err = await upstatd("backup", str(backup), "-c", config)
    assert code == 0, err
    assert (await api.request("POST", "/api/monitors", json={**body, "name": "after the backup"}))[0] == 201
    await api.daemon.stop()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", CRASH_AFTER_WRITE, str(path))
    assert await proc.wait() == 0
    assert {"upstatd.db-wal", "upstatd.db-shm"} <= set(files(path.parent))

    started = time.time()
    code, out, err = await upstatd("restore", str(backup), "-c", config)
    assert code == 0, err
    (kept,) = [name for name in files(path.parent) if ".before-restore-" in name and not name.endswith("-wal")]
    kept = path.parent / kept
    stamp = kept.name.split(".before-restore-")[1]
    assert abs(calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")) - started) < 60
    restored, *rest = out.splitlines()
    assert restored.startswith(f"restored {backup} to {path}: ")
    assert restored.endswith(f"B, schema version {db.newest_version()}, integrity_check ok")
    assert rest == [f"the database that was there is kept as {kept}", "start the daemon again: systemctl start upstatd"]
    assert files(path.parent) == sorted(["admin-token", "upstatd.db", "upstatd.db.lock", kept.name,
                                         kept.name + "-wal"])  # no stale -wal or -shm by the restored file
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(kept.stat().st_mode & 0o777) == "0o600"
    assert path.stat().st_uid == kept.stat().st_uid
    assert read(path, "PRAGMA integrity_check") == [("ok",)]
    assert read(path, "SELECT count(*) FROM settings WHERE key = 'written_after_the_backup'") == [(0,)]
    # The kept file is the whole old database: its -wal moved with it, crash write included.
    assert read(kept, "SELECT count(*) FROM settings WHERE key = 'written_after_the_backup'") == [(1,)]
    assert read(kept, "SELECT name FROM monitors ORDER BY name") == [("after the backup",), ("before the backup",)]
    assert backup.exists() and read(backup, "PRAGMA integrity_check") == [("ok",)]  # copied, not moved

    await api.daemon.start()
    assert await monitor_names(api) == ["before the backup"]


async def test_it_restores_a_backup_of_an_older_schema_for_the_daemon_to_migrate(start_api, tmp_path):
    old = tmp_path / "old.db"
    database_at(old, 6, monitors=("legacy",))
    path = tmp_path / "state" / "upstatd.db"
    config = tmp_path / "config.yaml"
    config.write_text(f'storage: {{path: "{path}"}}\nmonitors: []\n')
    code, out, err = await upstatd("restore", str(old), "-c", str(config))  # nothing there yet: nothing to keep
    assert code == 0, err
    newest = db.newest_version()
    assert "kept as" not in out
    assert (f"upstatd migrates it from schema version 6 to {newest} when it starts "
            f"(keeping a copy as {path}.pre-migration-0006-{newest:04d})") in out
    assert read(path, "PRAGMA user_version") == [(6,)]
    api = await start_api(f'storage: {{path: "{path}"}}')
    assert read(api.db_path, "PRAGMA user_version") == [(newest,)]
    assert read(f"{path}.pre-migration-0006-{newest:04d}", "SELECT key FROM monitors") == [("legacy",)]
