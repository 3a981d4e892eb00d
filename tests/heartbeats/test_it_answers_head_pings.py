"""HEAD is a ping like GET: recorded with its method, answered with GET's
status and headers (Content-Length of the body it does not send), and the
connection goes on."""

from __future__ import annotations

from pingkit import BACKUP, UNKNOWN, Raw


async def test_it_answers_head_with_headers_only(pinger):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP + "/start", method="HEAD"))
        status, headers, body = await raw.answer(head_only=True)
        assert (status, headers["content-length"], headers["cache-control"], body) == (200, "2", "no-store", b"")
        await raw.send(raw.ping(UNKNOWN, method="HEAD"))
        status, headers, _ = await raw.answer(head_only=True)
        assert (status, headers["content-length"]) == (404, "9")
        await raw.send(raw.ping(BACKUP))  # nothing was sent for the bodies: the next answer parses
        assert (await raw.answer())[::2] == (200, b"OK")
    finally:
        raw.close()
    assert [(row["kind"], row["method"]) for row in pinger.pings("backup")] == [("start", "HEAD"),
                                                                               ("success", "GET")]
