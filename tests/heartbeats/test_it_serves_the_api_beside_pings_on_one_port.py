"""The ping server and aiohttp share the listener: a connection that asks for
anything but a ping URL is aiohttp's from that request on, whether it is the
connection's first request or comes after pings (a reverse proxy's pooled
connection); ping URLs with percent-escapes (aiohttp decodes them) are still
answered as before."""

from __future__ import annotations

import json

from pingkit import BACKUP, Raw


async def test_it_hands_a_connection_to_the_api_after_pings(pinger):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping(BACKUP))
        assert (await raw.answer())[::2] == (200, b"OK")
        await raw.send(f"GET /healthz HTTP/1.1\r\nHost: {raw.host}\r\n\r\n".encode())
        status, headers, body = await raw.answer()
        assert (status, headers["content-type"]) == (200, "application/json; charset=utf-8")
        assert json.loads(body)["status"] == "ok"
        await raw.send(raw.ping(BACKUP + "/fail"))  # now aiohttp's ping route: the same answer
        assert (await raw.answer())[::2] == (200, b"OK")
    finally:
        raw.close()
    assert [row["kind"] for row in pinger.pings("backup")] == ["success", "fail"]


async def test_it_answers_the_api_with_a_token_on_the_same_port(pinger):
    status, _, body = await pinger.api.request("GET", "/api/heartbeats")
    assert status == 200 and len(body["data"]) == 4


async def test_it_still_answers_pings_aiohttp_normalizes(pinger):
    raw = await Raw.open(pinger.url)
    try:
        await raw.send(raw.ping("%35" + BACKUP[1:]))  # %35 is "5": the same UUID
        assert (await raw.answer())[::2] == (200, b"OK")
        await raw.send(raw.ping(BACKUP + "/st%61rt"))
        assert (await raw.answer())[::2] == (200, b"OK")
    finally:
        raw.close()
    assert [row["kind"] for row in pinger.pings("backup")] == ["success", "start"]
