"""Slow clients on the ping URLs are bounded by the server's timeouts: a head
not whole within server.header_timeout of the connection opening (or of the
previous answer) closes the connection unanswered, and a body not come within
server.body_timeout is a 408 and closes it; nothing is recorded. A client
that is merely waiting for its ping's commit is not timed out."""

from __future__ import annotations

import asyncio
import time

from pingkit import BACKUP, Raw


async def test_it_closes_a_head_that_does_not_finish(start_pinger):
    pinger = await start_pinger(server="header_timeout: 0.5s")
    raw = await Raw.open(pinger.url)
    try:
        started = time.monotonic()
        await raw.send(f"GET /ping/{BACKUP} HTTP/1.1\r\nHost: x\r\n".encode())
        for n in range(20):  # a header every 0.1 s: bytes, but never a whole head
            await asyncio.sleep(0.1)
            try:
                await raw.send(b"X-Slow-%d: 1\r\n" % n)
            except ConnectionError:
                break
        assert await raw.rest(timeout=5) == b""
        assert 0.4 < time.monotonic() - started < 1.5
    finally:
        raw.close()
    assert pinger.pings("backup") == []


async def test_it_closes_an_idle_keep_alive_connection(start_pinger):
    pinger = await start_pinger(server="header_timeout: 0.5s")
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP))
        assert (await raw.answer())[0] == 200
        answered = time.monotonic()
        assert await raw.rest(timeout=5) == b""
        assert 0.4 < time.monotonic() - answered < 1.5
    finally:
        raw.close()


async def test_it_answers_408_to_a_body_that_does_not_come(start_pinger):
    pinger = await start_pinger(server="header_timeout: 5s, body_timeout: 0.5s")
    raw = await Raw.open(pinger.url)
    try:
        started = time.monotonic()
        await raw.send(f"POST /ping/{BACKUP} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npart".encode())
        status, headers, body = await raw.answer(timeout=5)
        assert (status, headers["connection"], body) == (408, "close", b"the body did not arrive within 0.5 s")
        assert 0.4 < time.monotonic() - started < 1.5
        assert await raw.rest() == b""
    finally:
        raw.close()
    assert pinger.pings("backup") == []
