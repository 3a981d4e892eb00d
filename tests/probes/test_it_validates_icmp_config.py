"""icmp prepare(): the URL and the icmp: block, with exact messages."""

import pytest

from upstatd.config.check import Problems
from upstatd.probes import PROBES
from upstatd.probes.icmp import IcmpTarget, prepare

PATH = ("monitors", 2)


def check(url, options=None):
    problems = Problems("config.yaml")
    return prepare(url, options, PATH, problems), problems.messages()


def test_it_is_registered_with_its_shared_sockets():
    from upstatd.probes import icmp
    entry = PROBES["icmp"]
    assert (entry.prepare, entry.run, entry.open, entry.close) == (icmp.prepare, icmp.probe, icmp.open, icmp.close)
    assert (entry.url_schema, entry.options_schema) == (icmp.URL_SCHEMA, icmp.options_schema)


@pytest.mark.parametrize("url, host", [
    ("icmp://gw.internal", "gw.internal"),
    ("ICMP://GW.Internal/", "gw.internal"),
    ("icmp://127.0.0.1", "127.0.0.1"),
    ("icmp://[::1]", "::1"),
    ("icmp://[2001:DB8::1]", "2001:db8::1"),
    ("icmp://bücher.example", "xn--bcher-kva.example"),
])
def test_good_urls(url, host):
    assert check(url) == (IcmpTarget(host), [])


def test_the_defaults():
    target, _ = check("icmp://gw")
    assert (target.packets, target.packet_interval, target.max_loss, target.max_rtt, target.ip_version) == (
        3, 0.2, 100.0, None, 0)


def test_every_option():
    target, messages = check("icmp://gw", {"packets": 10, "packet_interval": "50ms", "max_loss": "20%",
                                            "max_rtt": "150ms", "ip_version": 6})
    assert messages == []
    assert target == IcmpTarget("gw", 10, 0.05, 20.0, 0.15, 6)


def test_targets_from_equal_input_are_equal_and_hashable():
    a, _ = check("icmp://gw", {})
    b, _ = check("icmp://gw", None)
    assert a == b and hash(a) == hash(b)
    assert a != check("icmp://gw", {"packets": 4})[0]


@pytest.mark.parametrize("url, message", [
    ("gw.internal", "must be icmp://host, got 'gw.internal'"),
    ("tcp://gw:22", "must be icmp://host, got 'tcp://gw:22'"),
    ("icmp://gw/path", "must be icmp://host, got 'icmp://gw/path'"),
    ("icmp://gw?x=1", "must be icmp://host, got 'icmp://gw?x=1'"),
    ("icmp://gw:7", "must be icmp://host without a port (ICMP has no ports), got 'icmp://gw:7'"),
    ("icmp://[::1]:7", "must be icmp://host without a port (ICMP has no ports), got 'icmp://[::1]:7'"),
    ("icmp://", "must be icmp://host with a host, got 'icmp://'"),
    ("icmp://::1", "IPv6 addresses need brackets, like [::1], got 'icmp://::1'"),
    ("icmp://[::1", "must be icmp://host, got 'icmp://[::1'"),
    ("icmp://[gw]", "must be icmp://host, got 'icmp://[gw]'"),
    ("icmp://bad host", "'bad host' is not a valid host name"),
    ("icmp://root@gw", "must not contain credentials (user:password@): they would show in logs and status"),
    (42, "must be a string, got a number"),
])
def test_bad_urls(url, message):
    target, messages = check(url)
    assert target is None
    assert messages == [f"config.yaml:1: monitors[2].url: {message}"]


@pytest.mark.parametrize("options, where, message", [
    ({"packets": 0}, "packets", "must be >= 1"),
    ({"packets": 101}, "packets", "must be <= 100"),
    ({"packets": 2.5}, "packets", "must be a whole number, got 2.5"),
    ({"packets": "3"}, "packets", "must be a whole number, got a string"),
    ({"packet_interval": "5ms"}, "packet_interval", "must be >= 10ms"),
    ({"packet_interval": "11s"}, "packet_interval", "must be <= 10s"),
    ({"packet_interval": "soon"}, "packet_interval", "must be a duration like 30s, 5m or 1h30m, got 'soon'"),
    ({"max_loss": 101}, "max_loss", "must be from 0 to 100 (percent), got 101"),
    ({"max_loss": -1}, "max_loss", "must be from 0 to 100 (percent), got -1"),
    ({"max_loss": "150%"}, "max_loss", "must be from 0 to 100 (percent), got 150%"),
    ({"max_loss": "lots"}, "max_loss", "must be a percentage from 0 to 100, like 20 or 20%, got 'lots'"),
    ({"max_loss": True}, "max_loss", "must be a percentage from 0 to 100, like 20 or 20%, got a boolean"),
    ({"max_loss": float("nan")}, "max_loss", "must be from 0 to 100 (percent), got nan"),
    ({"max_rtt": "3s"}, "max_rtt", "must be <= 2s"),
    ({"max_rtt": 0}, "max_rtt", "must be >= 0.1ms"),
    ({"max_rtt": [1]}, "max_rtt", "must be a duration like 30s, 5m or 1h30m, got a list"),
    ({"ip_version": 5}, "ip_version", "must be auto, 4 or 6, got 5"),
    ({"ip_version": "ipv6"}, "ip_version", "must be auto, 4 or 6, got 'ipv6'"),
    ({"ip_version": 4.0}, "ip_version", "must be auto, 4 or 6, got 4"),
    ({"ip_version": True}, "ip_version", "must be auto, 4 or 6, got a boolean"),
    ({"ip_version": 6}, "ip_version", "is 6, but the url's host 127.0.0.1 is an IPv4 address"),
    ({"count": 3}, "count", "unknown key (expected one of: ip_version, max_loss, max_rtt, packet_interval, "
                            "packets)"),
])
def test_bad_options(options, where, message):
    target, messages = check("icmp://127.0.0.1", options)
    assert target is None
    assert messages == [f"config.yaml:1: monitors[2].icmp.{where}: {message}"]


@pytest.mark.parametrize("options, expected", [
    ({"ip_version": "auto"}, 0),
    ({"ip_version": 4}, 4),
    ({"ip_version": "6"}, 6),
])
def test_ip_versions(options, expected):
    target, messages = check("icmp://gw", options)
    assert (target.ip_version, messages) == (expected, [])


@pytest.mark.parametrize("value, expected", [(0, 0.0), (12.5, 12.5), ("50%", 50.0), (" 7 % ", 7.0), (100, 100.0)])
def test_max_loss_is_a_percentage(value, expected):
    target, messages = check("icmp://gw", {"max_loss": value})
    assert (target.max_loss, messages) == (expected, [])


def test_an_ipv6_literal_with_ip_version_4_is_refused():
    _, messages = check("icmp://[::1]", {"ip_version": 4})
    assert messages == ["config.yaml:1: monitors[2].icmp.ip_version: is 4, but the url's host ::1 is an IPv6 address"]


def test_every_error_at_once():
    target, messages = check("icmp://gw:1", {"packets": 0, "max_rtt": "1h"})
    assert target is None
    assert messages == [
        "config.yaml:1: monitors[2].url: must be icmp://host without a port (ICMP has no ports), got 'icmp://gw:1'",
        "config.yaml:1: monitors[2].icmp.packets: must be >= 1",
        "config.yaml:1: monitors[2].icmp.max_rtt: must be <= 2s",
    ]


def test_the_block_must_be_a_mapping():
    target, messages = check("icmp://gw", ["packets"])
    assert target is None
    assert messages == ["config.yaml:1: monitors[2].icmp: must be a mapping, got a list"]
