"""While the writer cannot commit (here another connection holds SQLite's write
lock, so commits fail with "database is locked", as they fail with "database or
disk is full"), every API write answers 503 with Retry-After within 5 s and is
never applied later; reads go on answering. A refused Idempotency-Key is free
again once the database is."""

from __future__ import annotations

import asyncio
import sqlite3
import time

MONITOR = {"type": "tcp", "url": "tcp://127.0.0.1:9", "interval_seconds": 60}


async def until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.05)


async def timed(api, method: str, path: str, **kwargs) -> tuple[float, int, dict, dict]:
    started = time.monotonic()
    status, headers, body = await api.request(method, path, **kwargs)
    return time.monotonic() - started, status, headers, body


def monitors_in(db_path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM monitors").fetchone()[0]


async def test_it_answers_503_and_applies_nothing_later(api):
    writer = api.daemon.writer
    blocker = sqlite3.connect(api.db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the write lock, held
    try:
        # The first write waits for the lock, then gives up: 503 inside 5 s.
        took, status, headers, body = await timed(api, "POST", "/api/monitors", json=MONITOR)
        assert status == 503, body
        assert took <= 5.0
        assert headers["Retry-After"] == "5"
        assert (body["error"]["type"], body["error"]["code"]) == ("api_error", "storage_unavailable")

        await until(lambda: writer.failing, 15)
        # Known to be failing: refused at once, with an Idempotency-Key too.
        took, status, _, _ = await timed(api, "POST", "/api/monitors", json=MONITOR,
                                         headers={"Idempotency-Key": "retry-me"})
        assert (status, took < 1.0) == (503, True)
        took, status, _, _ = await timed(api, "PATCH", "/api/monitors/mon_nonexistent00000", json={"name": "x"})
        assert (status, took < 1.0) == (503, True)
        # Reads answer.
        took, status, _, listed = await timed(api, "GET", "/api/monitors")
        assert (status, listed["data"], took < 1.0) == (200, [], True)
    finally:
        blocker.execute("COMMIT")
        blocker.close()

    await until(lambda: not writer.failing, 15)
    await writer.flush()
    assert monitors_in(api.db_path) == 0  # the refused creates stay refused
    _, _, listed = await api.request("GET", "/api/monitors")
    assert listed["data"] == []
    status, _, made = await api.request("POST", "/api/monitors", json=MONITOR,
                                        headers={"Idempotency-Key": "retry-me"})
    assert status == 201, made
    assert monitors_in(api.db_path) == 1
