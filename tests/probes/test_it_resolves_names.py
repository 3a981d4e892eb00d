"""resolve(): IP literals skip getaddrinfo, names go through it, failures are dns_error."""

import asyncio
import socket

import pytest

from upstatd.probes.resolve import resolve
from upstatd.probes.result import ProbeError


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", [(socket.AF_INET, ("127.0.0.1", 80))]),
    ("::1", [(socket.AF_INET6, ("::1", 80, 0, 0))]),
    ("[::1]", [(socket.AF_INET6, ("::1", 80, 0, 0))]),
    ("0:0::1", [(socket.AF_INET6, ("::1", 80, 0, 0))]),
])
async def test_ip_literals_come_back_without_a_lookup(host, expected, monkeypatch):
    def no_lookup(*args, **kwargs):
        raise AssertionError("getaddrinfo called for an IP literal")

    try:
        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", no_lookup)
    except AttributeError:
        pass  # uvloop's loop takes no instance attributes: the result is still checked
    assert await resolve(host, 80) == expected


async def test_localhost_resolves_through_getaddrinfo():
    addresses = await resolve("localhost", 8080)
    assert addresses, "localhost gave no addresses"
    assert len(addresses) == len(set(addresses))  # deduplicated
    for family, sockaddr in addresses:
        assert family in (socket.AF_INET, socket.AF_INET6)
        assert sockaddr[0] in ("127.0.0.1", "::1")
        assert sockaddr[1] == 8080


async def test_an_unresolvable_name_is_a_dns_error():
    # a 64-character label is refused before any query leaves the host
    host = "a" * 64 + ".example"
    with pytest.raises(ProbeError) as caught:
        await resolve(host, 80)
    assert caught.value.kind == "dns_error"
    assert caught.value.message == f"could not resolve '{host}': not a valid host name"
