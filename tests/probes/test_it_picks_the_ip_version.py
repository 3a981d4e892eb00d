"""ip_version: the address family asked of the resolver, for every hop."""

import socket
from urllib.parse import quote

import pytest

from loopback import has_ipv6_loopback, start_web
from upstatd.probes import http, run_probe
from upstatd.probes.resolve import resolve


@pytest.fixture
def families(monkeypatch):
    """Records the family of every resolve() the http probe makes; answers 127.0.0.1 whatever was asked.
    (The literals' fast path is off, so every hop asks resolve().)"""
    asked = []

    async def spy(host, port, family=0):
        asked.append((host, family))
        return [(socket.AF_INET, ("127.0.0.1", port))]

    monkeypatch.setattr(http, "resolve", spy)
    monkeypatch.setattr(http, "literal_addresses", lambda host, port, family=0: None)
    return asked


@pytest.mark.parametrize("version, family", [("auto", 0), (4, socket.AF_INET), ("6", socket.AF_INET6)])
async def test_the_family_is_passed_to_the_resolver_on_every_hop(web, http_target, families, version, family):
    url = web.url(f"/redirect-to?url={quote('http://localhost:%d/ok' % web.port, safe='')}")
    await run_probe("http", http_target(url, ip_version=version), 2)
    assert families == [("127.0.0.1", family), ("localhost", family)]


async def test_an_ipv4_literal_with_ip_version_6_is_a_dns_error(web, http_target):
    result = await run_probe("http", http_target(web.url("/ok"), ip_version=6), 2)
    assert (result.error_kind, result.error_message) == (
        "dns_error", "'127.0.0.1' is an IPv4 address, but ip_version asks for IPv6")


async def test_localhost_with_ip_version_4(web, http_target):
    result = await run_probe("http", http_target(f"http://localhost:{web.port}/ok", ip_version=4), 2)
    assert (result.outcome, result.status_code) == ("up", 200)


async def dual_stack_localhost() -> bool:
    try:
        families = {family for family, _ in await resolve("localhost", 80)}
    except Exception:
        return False
    return families == {socket.AF_INET, socket.AF_INET6} and has_ipv6_loopback()


@pytest.mark.parametrize("version, host", [(4, "127.0.0.1"), (6, "::1")])
async def test_a_dual_stack_name_reaches_the_chosen_family(http_target, version, host):
    if not await dual_stack_localhost():
        pytest.skip("'localhost' does not resolve to both 127.0.0.1 and ::1 here (/etc/hosts)")
    server = await start_web(host)
    try:
        result = await run_probe("http", http_target(f"http://localhost:{server.port}/ok", ip_version=version), 2)
        assert (result.outcome, result.status_code) == ("up", 200)
    finally:
        await server.close()
