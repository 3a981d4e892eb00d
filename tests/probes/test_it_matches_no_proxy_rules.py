"""NO_PROXY, pure: which hosts go direct, for a table of rules and hosts (no lookups)."""

import pytest

from upstatd.config.check import Invalid
from upstatd.probes.proxy import NoProxyRule, bypasses, parse_no_proxy

CASES = [
    # rules, host, port, direct?
    ("", "example.com", 80, False),
    ("*", "example.com", 443, True),
    ("*", "10.1.2.3", 80, True),
    ("example.com", "example.com", 80, True),
    ("example.com", "www.example.com", 80, True),         # a domain covers the names under it
    ("example.com", "notexample.com", 80, False),         # ... but not a longer label
    ("example.com", "example.com.evil.test", 80, False),
    (".example.com", "example.com", 80, True),            # a leading dot is dropped (as curl does)
    (".example.com", "a.b.example.com", 80, True),
    ("*.example.com", "www.example.com", 80, True),       # so is a leading *.
    ("EXAMPLE.com", "Example.COM.", 80, True),            # case and a trailing dot do not matter
    ("localhost, internal.test", "internal.test", 80, True),
    ("localhost internal.test", "internal.test", 80, True),  # spaces separate too
    ("example.com:8080", "example.com", 8080, True),      # a port narrows the rule
    ("example.com:8080", "example.com", 443, False),
    ("127.0.0.1", "127.0.0.1", 80, True),
    ("127.0.0.1", "127.0.0.2", 80, False),
    ("127.0.0.0/8", "127.9.9.9", 80, True),               # a network covers its addresses
    ("10.0.0.0/8", "127.0.0.1", 80, False),
    ("127.0.0.1", "localhost", 80, False),                # no name is resolved to decide
    ("localhost", "127.0.0.1", 80, False),
    ("::1", "::1", 443, True),
    ("[::1]", "::1", 443, True),
    ("[::1]:8443", "::1", 8443, True),
    ("[::1]:8443", "::1", 443, False),
    ("fd00::/8", "fd12::1", 80, True),
    ("fd00::/8", "10.0.0.1", 80, False),                  # another address family never matches
    ("10.0.0.0/8", "fd12::1", 80, False),
    ("1.2.3.4", "1.2.3.4.example", 80, False),            # an address is not a domain suffix
]


@pytest.mark.parametrize("rules, host, port, direct", CASES)
def test_which_hosts_go_direct(rules, host, port, direct):
    assert bypasses(parse_no_proxy(rules), host, port) is direct


def test_the_rules_as_parsed():
    assert parse_no_proxy(" .Example.com ,, 10.1.2.3, [::1]:8443, * ") == (
        NoProxyRule("example.com"), NoProxyRule("10.1.2.3/32"), NoProxyRule("::1/128", 8443), NoProxyRule("*"))


@pytest.mark.parametrize("rules, message", [
    ("example.com, http://proxy", "'http://proxy' is not a host name, domain, IP address or network"),
    ("bad name!", "'name!' is not a host name, domain, IP address or network"),
    ("example.com:http", "'example.com:http': port must be 1-65535"),
    ("[::1]:0", "'[::1]:0': port must be 1-65535"),
])
def test_a_bad_rule_is_named(rules, message):
    with pytest.raises(Invalid) as caught:
        parse_no_proxy(rules)
    assert str(caught.value) == message
