"""Pipelined requests, sent at once in one write, are answered in the order
they came, whatever each answer is; a request that is not a ping behind
pings in the same write is not answered: the pings are, then the connection
closes, and the client sends it again (RFC 9112 9.3.2)."""

from __future__ import annotations

from pingkit import BACKUP, UNKNOWN, Raw


async def test_it_answers_pipelined_pings_in_order(pinger):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP + "/start") + raw.ping(UNKNOWN) + raw.ping(BACKUP, "POST", b"log line")
                       + raw.ping(BACKUP + "/300") + raw.ping(BACKUP + "/fail", "HEAD"))
        answers = [await raw.answer() for _ in range(4)] + [await raw.answer(head_only=True)]
        assert [(status, body) for status, _, body in answers] == [
            (200, b"OK"), (404, b"not found"), (200, b"OK"), (400, b"exit status must be 0-255, got 300"),
            (200, b"")]
        await raw.send(raw.ping(BACKUP))  # the connection is still good
        assert (await raw.answer())[0] == 200
    finally:
        raw.close()
    assert [row["kind"] for row in pinger.pings("backup")] == ["start", "success", "fail", "success"]


async def test_it_closes_after_the_pings_before_a_pipelined_api_request(pinger):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP) + f"GET /healthz HTTP/1.1\r\nHost: {raw.host}\r\n\r\n".encode())
        assert (await raw.answer())[::2] == (200, b"OK")
        assert await raw.rest() == b""
    finally:
        raw.close()
    assert len(pinger.pings("backup")) == 1
