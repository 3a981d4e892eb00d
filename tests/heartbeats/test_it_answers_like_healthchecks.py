"""The ping answers a script may compare, byte for byte as Healthchecks gives
them (no newline): `OK` 200, `Created` 201, `not found` 404, `ambiguous slug`
409, read as raw bytes over loopback; and the headers a browser needs to read
Ping-Body-Limit."""

from __future__ import annotations

import pytest

from pingkit import BACKUP, PING_KEY, UNKNOWN


async def raw(pinger, method: str, path: str) -> tuple[int, bytes, dict]:
    async with pinger.session.request(method, f"{pinger.url}/ping/{path}") as response:
        return response.status, await response.read(), dict(response.headers)


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_answers_are_healthchecks_bytes(pinger, method):
    assert (await raw(pinger, method, BACKUP))[:2] == (200, b"OK")
    assert (await raw(pinger, method, f"{BACKUP}/start"))[:2] == (200, b"OK")
    assert (await raw(pinger, method, f"{PING_KEY}/backup/0"))[:2] == (200, b"OK")
    assert (await raw(pinger, method, UNKNOWN))[:2] == (404, b"not found")
    assert (await raw(pinger, method, f"{PING_KEY}/no-such-slug"))[:2] == (404, b"not found")
    assert (await raw(pinger, method, f"wrong-ping-key-0123456/backup"))[:2] == (404, b"not found")
    assert (await raw(pinger, method, f"{PING_KEY}/made-{method.lower()}?create=1"))[:2] == (201, b"Created")
    assert (await raw(pinger, method, f"{PING_KEY}/made-{method.lower()}?create=1"))[:2] == (200, b"OK")


async def test_the_headers_say_the_body_limit_to_browsers_too(pinger):
    status, body, headers = await raw(pinger, "GET", BACKUP)
    assert (status, body, headers["Content-Length"]) == (200, b"OK", "2")
    assert headers["Ping-Body-Limit"] == "102400"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Expose-Headers"] == "Ping-Body-Limit"


async def test_a_slug_two_heartbeats_share_is_ambiguous(start_pinger):
    pinger = await start_pinger()
    status, _, made = await pinger.api.request("POST", "/api/heartbeats",
                                               json={"slug": "shared", "period_seconds": 60})
    assert status == 201, made
    # a config heartbeat given the same slug at a reload: both run, the slug names neither
    path = pinger.api.config_path
    other = "heartbeats:\n  - {key: other, slug: shared, period: 1h}\n"
    path.write_text(path.read_text().replace("heartbeats:\n", other))
    assert await pinger.api.daemon.reload()
    assert (await raw(pinger, "GET", f"{PING_KEY}/shared"))[:2] == (409, b"ambiguous slug")
    assert (await raw(pinger, "GET", made["ping_url"].rsplit("/", 1)[1]))[:2] == (200, b"OK")
