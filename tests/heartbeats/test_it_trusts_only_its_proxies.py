"""Behind a reverse proxy (`server.trusted_proxies`), over real HTTP on loopback:
a ping from a trusted peer records the client address of X-Forwarded-For and
the scheme of X-Forwarded-Proto; from any other peer, or with no proxies set,
the headers are ignored and the peer's own address and scheme are recorded.
The header-reading rules themselves: tests/api/test_it_reads_forwarded_headers.py."""

from __future__ import annotations

import pytest

from pingkit import BACKUP

FORWARDED = {"X-Forwarded-For": "203.0.113.9, 10.1.2.3", "X-Forwarded-Proto": "https"}


def recorded(pinger) -> tuple[str, str]:
    last = pinger.pings("backup")[-1]
    return last["remote_addr"], last["scheme"]


async def ping_ok(pinger, headers: dict[str, str] | None = None) -> None:
    status, _, text = await pinger.ping("POST", BACKUP, headers=headers)
    assert (status, text) == (200, "OK")


async def test_a_trusted_proxy_gives_the_client_address_and_scheme(start_pinger):
    pinger = await start_pinger(server="trusted_proxies: [127.0.0.1, 10.0.0.0/8]")
    await ping_ok(pinger, FORWARDED)
    assert recorded(pinger) == ("203.0.113.9", "https")   # 10.1.2.3 is a trusted hop too: skipped
    await ping_ok(pinger, {"X-Forwarded-For": "198.51.100.4"})
    assert recorded(pinger) == ("198.51.100.4", "http")
    await ping_ok(pinger)
    assert recorded(pinger) == ("127.0.0.1", "http")


async def test_an_untrusted_peer_cannot_choose_its_address(start_pinger):
    pinger = await start_pinger(server="trusted_proxies: [10.0.0.0/8, '::1']")   # not 127.0.0.1
    await ping_ok(pinger, FORWARDED)
    assert recorded(pinger) == ("127.0.0.1", "http")


@pytest.mark.parametrize("headers", [FORWARDED, {}])
async def test_without_trusted_proxies_the_headers_are_ignored(pinger, headers):
    await ping_ok(pinger, headers)
    assert recorded(pinger) == ("127.0.0.1", "http")
