"""The writer's linger: rows nobody waits for wait for more, anyone waiting for a commit
(a flush, a job) or a full batch of rows ends the wait at once."""

from __future__ import annotations

import asyncio

import pytest

from upstatd.store import checks
from upstatd.store.checks import CheckLog
from upstatd.store.writer import BATCH_ROWS, Writer

LONG = 60.0  # a linger no test waits out: whatever commits, something cut it short


@pytest.fixture
def conn(migrated_db):
    return migrated_db[0]


@pytest.fixture
async def lingering(conn):
    writer = Writer(conn, linger=LONG)
    writer.start()
    log = CheckLog(writer, await conn.call(checks.next_seq))
    yield writer, log
    await asyncio.wait_for(writer.stop(), 10)


def check_row(n: int) -> tuple:
    return (1, 1_700_000_000_000 + n, 1, "up", 1500, 200, None, None, 10, 20, None, 30, 40, None)


async def count(conn) -> int:
    return (await conn.execute_fetchall("SELECT count(*) FROM checks"))[0][0]


async def test_rows_nobody_waits_for_linger(conn, lingering):
    writer, log = lingering
    log.add(check_row(0))
    await asyncio.sleep(0.3)
    assert (writer.commits, await count(conn)) == (0, 0)


@pytest.mark.parametrize("wait", ["flush", "flushed", "run", "submit"])
async def test_a_wait_for_a_commit_ends_the_linger(conn, lingering, wait):
    writer, log = lingering
    log.add(check_row(0))
    await asyncio.sleep(0.05)  # the writer is lingering over the row now
    waited = {"flush": writer.flush, "flushed": writer.flushed,
              "run": lambda: writer.run(lambda c: None), "submit": lambda: writer.submit(lambda c: None)}[wait]
    await asyncio.wait_for(waited(), 5)
    assert await count(conn) == 1


async def test_a_full_batch_ends_the_linger(conn, lingering):
    writer, log = lingering
    log.add(check_row(0))
    await asyncio.sleep(0.05)
    for n in range(1, BATCH_ROWS):
        log.add(check_row(n))
    for _ in range(500):
        if writer.rows_written:
            break
        await asyncio.sleep(0.01)
    assert (writer.commits, await count(conn)) == (1, BATCH_ROWS)
