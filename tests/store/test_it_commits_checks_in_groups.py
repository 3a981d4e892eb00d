"""The group-commit writer on a real SQLite file."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat

import pytest

from upstatd.store import checks, db
from upstatd.store.checks import CheckLog
from upstatd.store.writer import Writer


@pytest.fixture
async def conn(tmp_path):
    path = str(tmp_path / "sub" / "upstatd.db")
    db.prepare_file(path)
    database = await db.Database.open(path)
    await database.call(db.migrate)
    yield database
    await database.close()


async def check_log(writer: Writer, conn: db.Database) -> CheckLog:
    return CheckLog(writer, await conn.call(checks.next_seq))


async def one(conn: db.Database, sql: str) -> tuple:
    return tuple((await conn.execute_fetchall(sql))[0])


def check_row(monitor_seq: int, n: int) -> tuple:
    return (monitor_seq, 1_700_000_000_000 + n, 1, "up", 1500, 200, None, None, 10, 20, None, 30, 40, None)


async def test_it_commits_many_checks_per_transaction(conn):
    writer = Writer(conn, linger=0.01)
    writer.start()
    log = await check_log(writer, conn)
    seqs = [log.add(check_row(1, n)) for n in range(5_000)]
    await writer.flush()
    assert seqs == list(range(1, 5_001))
    assert writer.rows_written == 5_000
    assert writer.commits <= 2  # one batch (two if the loop woke between adds)
    assert (await one(conn, "SELECT count(*), min(seq), max(seq) FROM checks")) == (5_000, 1, 5_000)
    await writer.stop()


async def test_it_continues_check_numbering_after_a_restart(conn):
    writer = Writer(conn, linger=0)
    writer.start()
    log = await check_log(writer, conn)
    log.add(check_row(1, 0))
    log.add(check_row(1, 1))
    await writer.stop()
    again = Writer(conn, linger=0)
    again.start()
    assert (await check_log(again, conn)).add(check_row(1, 2)) == 3
    await again.stop()


async def test_it_runs_statements_before_checks_in_one_transaction(conn):
    writer = Writer(conn, linger=0)
    writer.start()
    log = await check_log(writer, conn)
    await conn.execute_fetchall("INSERT INTO monitors (id, key, managed_by, name, type, url, interval_ms, timeout_ms, spec, "
                       "state_since, created_at, updated_at) VALUES ('mon_a', 'a', 'config', 'a', 'tcp', "
                       "'tcp://x:1', 1000, 1000, '{}', 0, 0, 0)")
    writer.add("UPDATE monitors SET current_state = ? WHERE key = ?", ("down", "a"))
    log.add(check_row(1, 0))
    await writer.flush()
    assert (await one(conn, "SELECT current_state FROM monitors"))[0] == "down"
    await writer.stop()


async def test_it_returns_a_job_result_and_reports_its_error(conn):
    writer = Writer(conn, linger=0)
    writer.start()
    log = await check_log(writer, conn)

    def count(c):
        return c.execute("SELECT count(*) FROM checks").fetchone()[0]

    log.add(check_row(1, 0))
    assert await writer.run(count) == 1  # the queued check was committed first

    def broken(c):
        c.execute("INSERT INTO nowhere VALUES (1)")

    with pytest.raises(sqlite3.OperationalError, match="no such table: nowhere"):
        await writer.run(broken)
    assert await writer.run(count) == 1  # still working after a failed job
    await writer.stop()


async def test_it_keeps_checks_while_the_database_refuses_writes(conn, tmp_path):
    writer = Writer(conn, linger=0)
    writer.start()
    log = await check_log(writer, conn)
    # Another connection holds the write lock: commits fail with "database is locked".
    await conn.execute_fetchall("PRAGMA busy_timeout = 0")
    blocker = sqlite3.connect(str(tmp_path / "sub" / "upstatd.db"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    log.add(check_row(1, 0))
    import asyncio
    for _ in range(200):
        if writer.failing:
            break
        await asyncio.sleep(0.01)
    assert writer.failing and writer.pending == 1
    blocker.execute("COMMIT")
    blocker.close()
    await asyncio.wait_for(writer.flush(), timeout=5)
    assert not writer.failing and writer.dropped == 0
    assert (await one(conn, "SELECT count(*) FROM checks"))[0] == 1
    await writer.stop()


def test_it_creates_the_database_readable_by_its_owner_only(tmp_path):
    path = str(tmp_path / "state" / "upstatd.db")
    db.prepare_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_a_flush_during_a_commit_waits_for_what_came_in_meanwhile(conn):
    """A flush asked while a batch commits must cover the rows queued after that
    batch was taken (stop() relies on it: nothing queued is lost at SIGTERM)."""
    import asyncio
    writer = Writer(conn, linger=0)
    writer.start()
    log = await check_log(writer, conn)
    for n in range(20_000):
        log.add(check_row(1, n))
    await asyncio.sleep(0)  # the writer takes the first batch and starts committing
    for n in range(20_000, 20_100):
        log.add(check_row(1, n))  # queued while the first batch commits
    await writer.flush()
    assert (await one(conn, "SELECT count(*) FROM checks"))[0] == 20_100
    await writer.stop()


async def test_a_flush_fails_when_its_batch_was_refused_and_the_next_one_succeeds(conn):
    writer = Writer(conn, linger=0)
    writer.start()
    sql = "INSERT INTO settings (key, value) VALUES (?, ?)"
    writer.add_row(sql, ("a", "1"))
    writer.add_row(sql, ("a", "2"))  # the same primary key: the whole batch is refused
    with pytest.raises(sqlite3.IntegrityError):
        await writer.flush()
    writer.add_row(sql, ("b", "1"))
    await writer.flush()
    assert [tuple(row) for row in await conn.execute_fetchall("SELECT key, value FROM settings")] == [("b", "1")]
    await writer.stop()


async def test_the_latest_statement_per_key_wins_and_rows_go_in_one_call(conn):
    writer = Writer(conn, linger=0)
    writer.start()
    await writer.flush()
    for n in range(100):
        writer.put("k", "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", ("k", str(n)))
        writer.add_row("INSERT INTO settings (key, value) VALUES (?, ?)", (f"row{n}", "x"))
    await writer.flush()
    assert (await conn.execute_fetchall("SELECT value FROM settings WHERE key = 'k'"))[0][0] == "99"
    assert (await conn.execute_fetchall("SELECT count(*) FROM settings"))[0][0] == 101
    assert writer.rows_written == 101  # one put, a hundred rows
    await writer.stop()


async def test_a_cancelled_flush_cancels_no_other_wait(conn):
    """Many flush() and flushed() callers wait on one batch; one of them cancelled (a
    request gone) leaves the others' waits, and the writer's stop, as they were."""
    writer = Writer(conn, linger=0.05)
    writer.start()
    log = await check_log(writer, conn)
    log.add(check_row(1, 1))
    gone = asyncio.ensure_future(writer.flush())
    kept = asyncio.ensure_future(writer.flush())
    shared = writer.flushed()  # the ping server's: a done callback, no task
    await asyncio.sleep(0)
    gone.cancel()
    await kept
    await shared
    assert gone.cancelled() and not shared.cancelled()
    await writer.stop()
    assert await one(conn, "SELECT count(*) FROM checks") == (1,)
