"""`patient(seconds)` (what an API write runs in): a job the writer has not
started within it is refused with Unavailable and never runs later; a job it
has started is waited for, however long it takes; while the writer is failing,
a patient job is refused at once; tasks started meanwhile are the daemon's own
work and wait as long as it takes."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from upstatd.store.writer import Unavailable, Writer, patient


@pytest.fixture
async def marked(store):
    """tests/conftest.py's store, with a table to mark which jobs ran."""
    database, writer, path = store
    await writer.run(lambda conn: conn.execute("CREATE TABLE marks (name TEXT)"))
    return store


def mark(name: str, seconds: float = 0.0):
    def job(conn: sqlite3.Connection) -> str:
        time.sleep(seconds)  # on the database's thread: the writer is busy meanwhile
        conn.execute("INSERT INTO marks VALUES (?)", (name,))
        return name
    return job


async def marks(database) -> list[str]:
    return [name for (name,) in await database.call(lambda conn: conn.execute("SELECT name FROM marks").fetchall())]


async def patiently(writer: Writer, job, seconds: float):
    with patient(seconds):
        return await writer.run(job)


async def test_it_refuses_a_job_that_waits_too_long_and_never_runs_it(marked):
    database, writer, _ = marked
    slow = asyncio.create_task(patiently(writer, mark("slow", 0.5), 0.1))  # starts at once
    await asyncio.sleep(0.05)
    with pytest.raises(Unavailable, match="within 0.1 s"):
        await patiently(writer, mark("queued"), 0.1)  # behind the slow one: not started in time
    assert await slow == "slow"  # started, so waited for past its patience
    await writer.flush()
    assert await marks(database) == ["slow"]
    assert await patiently(writer, mark("later"), 0.1) == "later"


async def test_it_refuses_a_patient_job_at_once_while_failing(marked):
    database, writer, path = marked
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        await database.call(lambda conn: conn.execute("PRAGMA busy_timeout = 0"))
        blocker.execute("BEGIN IMMEDIATE")
        writer.add("INSERT INTO marks VALUES ('queued')")
        for _ in range(200):  # bounded: the batch fails on the lock at once
            if writer.failing:
                break
            await asyncio.sleep(0.01)
        assert writer.failing
        started = time.monotonic()
        with pytest.raises(Unavailable, match="cannot be written now"):
            await patiently(writer, mark("refused"), 5.0)
        assert time.monotonic() - started < 0.1
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    await asyncio.wait_for(writer.flush(), 5)
    assert await marks(database) == ["queued"]


async def test_it_leaves_tasks_started_meanwhile_to_wait(marked):
    database, writer, _ = marked
    with patient(0.1):
        slow = asyncio.create_task(writer.run(mark("slow", 0.4)))  # the daemon's work, started here
        await asyncio.sleep(0.05)
        later = asyncio.create_task(writer.run(mark("behind")))  # waits behind the slow one, patiently
        with pytest.raises(Unavailable):
            await writer.run(mark("mine"))  # this task's own job: refused
    assert (await slow, await later) == ("slow", "behind")
    assert await marks(database) == ["slow", "behind"]
