"""literal_addresses: a plain IP literal's address without a coroutine, the same one
resolve() gives; everything else (names, scoped IPv6, a family mismatch) is resolve()'s."""

import socket

import pytest

from upstatd.probes.resolve import literal_addresses, resolve

V4, V6 = socket.AF_INET, socket.AF_INET6

CASES = [
    # host, family, what literal_addresses answers
    ("127.0.0.1", 0, [(V4, ("127.0.0.1", 80))]),
    ("127.0.0.1", V4, [(V4, ("127.0.0.1", 80))]),
    ("::1", 0, [(V6, ("::1", 80, 0, 0))]),
    ("[::1]", V6, [(V6, ("::1", 80, 0, 0))]),
    ("0:0::1", 0, [(V6, ("::1", 80, 0, 0))]),   # the address's own text, as resolve() gives
    ("127.0.0.1", V6, None),                    # resolve() says why: a dns_error
    ("::1", V4, None),
    ("fe80::1%lo", 0, None),                    # a scope id: getaddrinfo's (resolve())
    ("localhost", 0, None),
    ("example.test", V4, None),
]


@pytest.mark.parametrize("host, family, expected", CASES)
def test_literal_addresses(host, family, expected):
    assert literal_addresses(host, 80, family) == expected


@pytest.mark.parametrize("host, family, expected", [case for case in CASES if case[2] is not None])
async def test_it_agrees_with_resolve(host, family, expected):
    assert await resolve(host, 80, family) == expected
