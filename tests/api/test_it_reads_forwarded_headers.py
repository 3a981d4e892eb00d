"""Which client address and scheme a request has behind proxies
(upstatd.api.forwarded.resolve), as a table: the peer, X-Forwarded-For and
X-Forwarded-Proto as received, the trusted networks. Over HTTP:
tests/heartbeats/test_it_trusts_only_its_proxies.py."""

from __future__ import annotations

import ipaddress

import pytest

from upstatd.api.forwarded import parse_address, resolve

TRUSTED = [ipaddress.ip_network(net) for net in ("10.0.0.0/8", "192.0.2.7/32", "2001:db8:1::/48")]

CASES = [
    pytest.param("198.51.100.1", ["203.0.113.9"], ["https"], ("198.51.100.1", "http"), id="untrusted-peer-ignored"),
    pytest.param("10.0.0.5", [], [], ("10.0.0.5", "http"), id="trusted-peer-no-headers"),
    pytest.param("10.0.0.5", ["203.0.113.9"], ["https"], ("203.0.113.9", "https"), id="one-proxy"),
    pytest.param("10.0.0.5", ["203.0.113.9, 10.9.9.9"], [], ("203.0.113.9", "http"),
                 id="trusted-hops-are-skipped"),
    pytest.param("10.0.0.5", ["1.1.1.1, 203.0.113.9, 10.9.9.9"], [], ("203.0.113.9", "http"),
                 id="the-first-untrusted-from-the-right-a-forged-left-part-ignored"),
    pytest.param("10.0.0.5", ["1.1.1.1", "203.0.113.9"], [], ("203.0.113.9", "http"),
                 id="a-header-given-twice-is-one-list"),
    pytest.param("10.0.0.5", ["10.1.1.1, 10.2.2.2"], [], ("10.1.1.1", "http"), id="all-trusted-the-leftmost"),
    pytest.param("10.0.0.5", ["unknown"], [], ("10.0.0.5", "http"), id="garbage-the-peer"),
    pytest.param("10.0.0.5", ["203.0.113.9, garbage, 10.9.9.9"], [], ("10.9.9.9", "http"),
                 id="garbage-stops-at-the-last-believed-hop"),
    pytest.param("10.0.0.5", ["203.0.113.9:4711"], [], ("203.0.113.9", "http"), id="ipv4-with-a-port"),
    pytest.param("10.0.0.5", ["[2001:db8::9]:4711"], [], ("2001:db8::9", "http"), id="ipv6-with-a-port"),
    pytest.param("2001:db8:1::2", ["2001:db8::9"], ["HTTPS"], ("2001:db8::9", "https"), id="ipv6-proxy"),
    pytest.param("::ffff:10.0.0.5", ["203.0.113.9"], [], ("203.0.113.9", "http"), id="ipv4-mapped-peer"),
    pytest.param("192.0.2.7", [], ["https, http"], ("192.0.2.7", "http"), id="proto-the-last-value"),
    pytest.param("192.0.2.7", [], ["gopher"], ("192.0.2.7", "http"), id="proto-other-than-http-s-ignored"),
    pytest.param("192.0.2.8", ["203.0.113.9"], ["https"], ("192.0.2.8", "http"), id="host-network-exact"),
]


@pytest.mark.parametrize("peer, forwarded_for, forwarded_proto, expected", CASES)
def test_resolve(peer, forwarded_for, forwarded_proto, expected):
    assert resolve(peer, "http", forwarded_for, forwarded_proto, TRUSTED) == expected


def test_nothing_trusted_nothing_read():
    assert resolve("127.0.0.1", "http", ["203.0.113.9"], ["https"], []) == ("127.0.0.1", "http")


@pytest.mark.parametrize("text, expected", [
    ("192.0.2.1", "192.0.2.1"), (" 192.0.2.1 ", "192.0.2.1"), ("192.0.2.1:80", "192.0.2.1"),
    ("2001:db8::1", "2001:db8::1"), ("[2001:db8::1]", "2001:db8::1"), ("[2001:db8::1]:80", "2001:db8::1"),
    ("::ffff:192.0.2.1", "192.0.2.1"), ("unknown", None), ("", None), ("192.0.2.256", None),
])
def test_parse_address(text, expected):
    parsed = parse_address(text)
    assert (None if parsed is None else str(parsed)) == expected
