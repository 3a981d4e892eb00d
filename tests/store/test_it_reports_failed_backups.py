"""`upstatd backup` fails with exit status 1 and a message that says why, and leaves
no temporary file and whatever FILE held before: a missing directory, a write the
disk refuses (a file size limit stands in for a full disk), a database that fails
integrity_check, FILE naming the database itself, no database yet."""

from __future__ import annotations

import asyncio
import resource
import sys

import pytest

from backupkit import damage_page, files, read
from cli import upstatd
from upstatd.store import db


@pytest.fixture
def config(tmp_path):
    """A config whose database exists, has the schema and ~6 MB of checks."""
    path = tmp_path / "state" / "upstatd.db"
    db.prepare_file(str(path))
    conn = db.connect(str(path))
    db.migrate(conn)
    with conn:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO checks (monitor_seq, created_at, ok, state, latency_us) VALUES (1, ?, 1, 'up', ?)",
                         ((n, n % 9000) for n in range(150_000)))
        conn.execute("COMMIT")
    conn.close()
    config = tmp_path / "config.yaml"
    config.write_text(f'storage: {{path: "{path}"}}\nmonitors: []\n')
    return config


async def test_it_says_the_backup_directory_is_missing(config, tmp_path):
    code, out, err = await upstatd("backup", str(tmp_path / "nowhere" / "b.db"), "-c", str(config))
    assert code == 1 and out == ""
    assert f"upstatd: backup failed: cannot write {tmp_path}/nowhere/b.db: there is no directory" in err


async def test_it_fails_a_backup_the_disk_refuses_and_keeps_the_previous_one(config, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    target = backups / "upstatd.db"
    code, _, err = await upstatd("backup", str(target), "-c", str(config))
    assert code == 0, err
    previous = target.read_bytes()

    limit = 1024 * 1024  # RLIMIT_FSIZE: writes past 1 MiB fail (EFBIG), as they would on a full disk
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "upstatd", "backup", str(target), "-c", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1, (out, err)
    assert f"upstatd: backup failed: cannot write {target}: " in err.decode()
    assert files(backups) == ["upstatd.db"]  # the temporary file went
    assert target.read_bytes() == previous


async def test_it_fails_a_backup_of_a_damaged_database(config, tmp_path):
    damage_page(tmp_path / "state" / "upstatd.db")
    backups = tmp_path / "backups"
    backups.mkdir()
    code, out, err = await upstatd("backup", str(backups / "b.db"), "-c", str(config))
    assert code == 1, out
    assert "fails PRAGMA integrity_check, so" in err and "was not written (is the database itself damaged?)" in err
    assert files(backups) == []


async def test_it_refuses_to_back_up_the_database_onto_itself(config, tmp_path):
    path = tmp_path / "state" / "upstatd.db"
    before = read(path, "SELECT count(*) FROM checks")
    code, _, err = await upstatd("backup", str(path), "-c", str(config))
    assert code == 1 and "is the database itself; name another file" in err
    assert read(path, "SELECT count(*) FROM checks") == before


async def test_it_says_there_is_no_database_to_back_up(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f'storage: {{path: "{tmp_path}/state/upstatd.db"}}\nmonitors: []\n')
    code, _, err = await upstatd("backup", str(tmp_path / "b.db"), "-c", str(config))
    assert code == 1 and "no database at" in err and "has the daemon run with this config?" in err
    assert not (tmp_path / "state" / "upstatd.db").exists()  # looking did not make one

