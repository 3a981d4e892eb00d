"""A ping per connection, as curl from cron makes them: `Connection: close` is
answered with `Connection: close` after the commit, then the server closes;
a client that just closes its side after sending still gets its answer."""

from __future__ import annotations

from pingkit import BACKUP, Raw


async def test_it_answers_and_closes_each_connection(pinger):
    for n in range(1, 21):
        raw = await Raw.open(pinger.url)
        try:
            await raw.send(raw.ping(BACKUP, headers="Connection: close\r\n"))
            status, headers, body = await raw.answer()
            assert (status, headers["connection"], body) == (200, "close", b"OK")
            assert await raw.rest() == b""
        finally:
            raw.close()
        assert len(pinger.pings("backup")) == n


async def test_it_answers_a_client_that_closed_its_sending_side(pinger):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP, method="POST", body=b"done"))
        raw.writer.write_eof()
        status, _, body = await raw.answer()
        assert (status, body) == (200, b"OK")
        assert await raw.rest() == b""
    finally:
        raw.close()
    assert pinger.pings("backup")[-1]["body"] == b"done"
