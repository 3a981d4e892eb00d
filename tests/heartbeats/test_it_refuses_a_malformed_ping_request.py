"""A request that does not parse gets a 400 and the connection closes, as
aiohttp answered it before the ping server (it still does: such a request is
handed to it); one after pings in the same write gets the ping server's 400.
Nothing is recorded either way."""

from __future__ import annotations

import pytest

from pingkit import BACKUP, Raw

MALFORMED = [
    b"GARBAGE\r\n\r\n",
    f"GET /ping/{BACKUP} HTTP/1.1\r\nHost: x\r\nFoo bar\r\n\r\n".encode(),
    f"POST /ping/{BACKUP} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    .encode(),
    f"POST /ping/{BACKUP} HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n".encode(),
    f"GET /ping/{BACKUP} HTTP/1.1\r\n\r\n".encode(),  # no Host
]


@pytest.mark.parametrize("request_bytes", MALFORMED)
async def test_it_answers_400_and_closes(pinger, request_bytes):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(request_bytes)
        status, headers, body = await raw.answer()
        assert status == 400 and body
        assert await raw.rest() == b""
    finally:
        raw.close()
    assert pinger.pings("backup") == []


async def test_it_answers_the_pings_before_garbage_then_400_and_closes(pinger):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP) + b"\x00\x01 garbage\r\n\r\n")
        assert (await raw.answer())[::2] == (200, b"OK")
        status, headers, _ = await raw.answer()
        assert (status, headers["connection"]) == (400, "close")
        assert await raw.rest() == b""
    finally:
        raw.close()
    assert len(pinger.pings("backup")) == 1
