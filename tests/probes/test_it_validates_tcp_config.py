"""tcp prepare(): the URL and the tcp: block, with exact messages."""

import pytest

from upstatd.config.check import Problems
from upstatd.probes.tcp import TcpTarget, prepare

PATH = ("monitors", 2)


def check(url, options=None):
    problems = Problems("config.yaml")
    return prepare(url, options, PATH, problems), problems.messages()


@pytest.mark.parametrize("url, target", [
    ("tcp://db.internal:5432", TcpTarget("db.internal", 5432)),
    ("TCP://DB.Internal:5432/", TcpTarget("db.internal", 5432)),
    ("tcp://127.0.0.1:1", TcpTarget("127.0.0.1", 1)),
    ("tcp://[::1]:22", TcpTarget("::1", 22)),
    ("tcp://bücher.example:65535", TcpTarget("xn--bcher-kva.example", 65535)),
])
def test_good_urls(url, target):
    assert check(url) == (target, [])


def test_targets_from_equal_input_are_equal_and_hashable():
    a, _ = check("tcp://db:5432", {})
    b, _ = check("tcp://db:5432", None)
    assert a == b and hash(a) == hash(b)
    assert a != check("tcp://db:5433")[0]


@pytest.mark.parametrize("url, message", [
    ("db:5432", "must be tcp://host:port, got 'db:5432'"),
    ("http://db:5432", "must be tcp://host:port, got 'http://db:5432'"),
    ("tcp://db", "must be tcp://host:port, got 'tcp://db'"),
    ("tcp://db:5432/path", "must be tcp://host:port, got 'tcp://db:5432/path'"),
    ("tcp://db:0", "port must be 1-65535, got '0'"),
    ("tcp://db:65536", "port must be 1-65535, got '65536'"),
    ("tcp://db:ssh", "port must be 1-65535, got 'ssh'"),
    ("tcp://:22", "must be tcp://host:port with a host, got 'tcp://:22'"),
    ("tcp://::1:22", "IPv6 addresses need brackets, like [::1], got 'tcp://::1:22'"),
    ("tcp://[::1:22", "must be tcp://host:port, got 'tcp://[::1:22'"),
    ("tcp://[db]:22", "must be tcp://host:port, got 'tcp://[db]:22'"),
    ("tcp://bad host:22", "'bad host' is not a valid host name"),
    ("tcp://a..b:22", "'a..b' is not a valid host name"),
    ("tcp://user@db:22", "must not contain credentials (user:password@): they would show in logs and status"),
    (5432, "must be a string, got a number"),
])
def test_bad_urls(url, message):
    target, messages = check(url)
    assert target is None
    assert messages == [f"config.yaml:1: monitors[2].url: {message}"]


def test_the_tcp_block_has_no_keys_yet():
    target, messages = check("tcp://db:5432", {"timeout": 3})
    assert target is None
    assert messages == ["config.yaml:1: monitors[2].tcp.timeout: unknown key (this block takes no keys yet)"]


def test_the_tcp_block_must_be_a_mapping():
    target, messages = check("tcp://db:5432", ["x"])
    assert target is None
    assert messages == ["config.yaml:1: monitors[2].tcp: must be a mapping, got a list"]
