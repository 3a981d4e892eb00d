"""Bounds on what one ping may send: a URL or header line past 8190 bytes or
more than 128 headers is a 400 and the connection closes (aiohttp's limits;
a longer head within them is still answered);
a body past pings.body_limit is kept to the limit and counted in full; past
16 MiB the ping is recorded with what came and the connection closes."""

from __future__ import annotations

import pytest

from pingkit import BACKUP, Raw
from upstatd.api.ping import DRAIN_MAX

OVERSIZED = [
    f"GET /ping/{BACKUP}/{'a' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n",
    f"GET /ping/{BACKUP} HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 9000}\r\n\r\n",
    f"GET /ping/{BACKUP} HTTP/1.1\r\nHost: x\r\n" + "".join(f"X-{i}: 1\r\n" for i in range(200)) + "\r\n",
]


@pytest.mark.parametrize("request_text", OVERSIZED, ids=["url", "header", "count"])
async def test_it_refuses_an_oversized_head(pinger, request_text):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(request_text.encode())
        assert (await raw.answer())[0] == 400
        assert await raw.rest() == b""
    finally:
        raw.close()
    assert pinger.pings("backup") == []


async def test_it_still_answers_a_long_head_within_the_limits(pinger):
    """Past what the ping server holds (64 KiB) it is aiohttp's to read, and answered as before."""
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP, headers="".join(f"X-{i}: {'a' * 8000}\r\n" for i in range(20))))
        assert (await raw.answer())[::2] == (200, b"OK")
        await raw.send(raw.ping(BACKUP))  # and the connection goes on
        assert (await raw.answer())[::2] == (200, b"OK")
    finally:
        raw.close()
    assert len(pinger.pings("backup")) == 2


async def test_it_keeps_a_long_body_to_the_limit(start_pinger):
    pinger = await start_pinger("pings: {body_limit: 1000}")
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP, "POST", b"x" * 5000))
        status, headers, body = await raw.answer()
        assert (status, headers["ping-body-limit"], body) == (200, "1000", b"OK")
    finally:
        raw.close()
    row = pinger.pings("backup")[-1]
    assert (row["body_size"], row["body"]) == (5000, b"x" * 1000)


async def test_it_stops_reading_a_flood(pinger):
    raw = await Raw.open(pinger.url)
    try:
        head = f"POST /ping/{BACKUP} HTTP/1.1\r\nHost: x\r\nContent-Length: {4 * DRAIN_MAX}\r\n\r\n"
        raw.writer.write(head.encode())
        chunk = b"y" * (1024 * 1024)
        try:
            for _ in range(DRAIN_MAX // len(chunk) + 8):
                raw.writer.write(chunk)
                await raw.writer.drain()
        except ConnectionError:
            pass
        status, headers, body = await raw.answer()
        assert (status, headers["connection"], body) == (200, "close", b"OK")
    finally:
        raw.close()
    row = pinger.pings("backup")[-1]
    assert DRAIN_MAX < row["body_size"] < 2 * DRAIN_MAX
