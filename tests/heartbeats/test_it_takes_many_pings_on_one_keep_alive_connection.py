"""Many pings on one keep-alive connection: each is answered (OK, the same
headers every time), each is committed before its answer, and the connection
stays open for the next; HTTP/1.0 keeps it only when asked."""

from __future__ import annotations

from pingkit import BACKUP, Raw


async def test_it_answers_each_ping_on_one_connection(pinger):
    raw = await Raw.open(pinger.url)
    try:
        for n in range(1, 51):
            action = ("", "/start", "/fail", "/0")[n % 4]
            await raw.send(raw.ping(BACKUP + action))
            status, headers, body = await raw.answer()
            assert (status, body) == (200, b"OK")
            assert "connection" not in headers
            assert len(pinger.pings("backup")) == n  # committed before its answer
    finally:
        raw.close()
    assert [row["kind"] for row in pinger.pings("backup")][:4] == ["start", "fail", "success", "success"]


async def test_it_keeps_an_http_1_0_connection_only_when_asked(pinger):
    raw = await Raw.open(pinger.url)
    try:
        asked = f"GET /ping/{BACKUP} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode()
        for _ in range(3):
            await raw.send(asked)
            status, headers, body = await raw.answer()
            assert (status, headers["connection"], body) == (200, "keep-alive", b"OK")
        await raw.send(f"GET /ping/{BACKUP} HTTP/1.0\r\n\r\n".encode())
        status, headers, body = await raw.answer()
        assert (status, body) == (200, b"OK") and "connection" not in headers
        assert await raw.rest() == b""  # and closed
    finally:
        raw.close()
    assert len(pinger.pings("backup")) == 4
