"""The read Database is a pool: a long read (a roll-up batch, a 400-day SLA)
does not hold up the other reads, each thread has a connection of its own,
and a write committed by the writer is seen by every reader."""

from __future__ import annotations

import asyncio
import threading

from upstatd.store import db


async def test_it_answers_a_read_while_another_is_still_running(tmp_path):
    path = str(tmp_path / "upstatd.db")
    db.prepare_file(path)
    writer = await db.Database.open(path)
    await writer.call(db.migrate)
    readers = await db.Database.open(path, readonly=True)
    release = threading.Event()

    def long_read(conn):
        conn.execute("SELECT count(*) FROM monitors").fetchall()
        assert release.wait(10), "never released"
        return "long"

    try:
        long = asyncio.ensure_future(readers.call(long_read))
        # every other reader answers while the first is held, each on a connection of its own
        quick = await asyncio.wait_for(asyncio.gather(*(
            readers.call(lambda conn: (threading.get_ident(), id(conn))) for _ in range(db.READERS * 3))), 5)
        assert not long.done()
        threads = {thread for thread, _ in quick}
        assert 1 <= len(threads) <= db.READERS - 1 and len({conn for _, conn in quick}) == len(threads)

        await writer.call(lambda conn: conn.execute("INSERT INTO settings (key, value) VALUES ('seen', 'yes')"))
        seen = await asyncio.gather(*(readers.execute_fetchall("SELECT value FROM settings WHERE key = 'seen'")
                                      for _ in range(db.READERS * 2)))
        assert all(rows[0][0] == "yes" for rows in seen)
        refused = await asyncio.gather(
            readers.call(lambda conn: conn.execute("DELETE FROM settings")), return_exceptions=True)
        assert "attempt to write a readonly database" in str(refused[0])  # every reader is query_only
    finally:
        release.set()
        assert await long == "long"
        await readers.close()
        await writer.close()
