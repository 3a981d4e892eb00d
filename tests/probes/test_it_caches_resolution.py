"""The shared resolver: /etc/hosts first, then DNS, each answer kept for its
TTL (on a fake clock), concurrent lookups of a name sharing one query."""

from __future__ import annotations

import asyncio
import socket

import pytest

from dns_server import TTL, start_dns
from upstatd.clock import FakeClock
from upstatd.probes import resolve as resolve_module
from upstatd.probes.resolve import Resolver, resolve
from upstatd.probes.result import ProbeError


@pytest.fixture
async def dns():
    server = await start_dns(records={("svc.test", "A"): ["192.0.2.10"],
                                      ("svc.test", "AAAA"): ["2001:db8::10"],
                                      ("v6only.test", "AAAA"): ["2001:db8::6"]})
    yield server
    await server.close()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def resolver(dns, clock, tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n10.1.2.3 pinned.test  # from the hosts file\n")
    return Resolver(nameservers=[("127.0.0.1", dns.port)], hosts_path=str(hosts), clock=clock.monotonic)


async def test_it_asks_once_for_ten_thousand_monitors_on_one_host(resolver, dns):
    answers = await asyncio.gather(*(resolver.addresses("svc.test", socket.AF_INET) for _ in range(10_000)))
    assert all(answer == ["192.0.2.10"] for answer in answers)
    assert dns.queries == {"udp": 1, "tcp": 0}
    assert resolver.queries == 1


async def test_it_sees_a_changed_record_once_its_ttl_runs_out(resolver, dns, clock):
    assert await resolver.addresses("svc.test", socket.AF_INET) == ["192.0.2.10"]
    dns.records[("svc.test", "A")] = ["192.0.2.99"]
    clock.advance(TTL - 1)
    assert await resolver.addresses("svc.test", socket.AF_INET) == ["192.0.2.10"]  # still cached
    assert dns.queries["udp"] == 1
    clock.advance(2)
    assert await resolver.addresses("svc.test", socket.AF_INET) == ["192.0.2.99"]
    assert dns.queries["udp"] == 2


async def test_it_lists_ipv4_first_when_any_family_will_do(resolver, dns):
    assert await resolver.addresses("svc.test") == ["192.0.2.10", "2001:db8::10"]
    assert await resolver.addresses("v6only.test") == ["2001:db8::6"]
    assert await resolver.addresses("v6only.test", socket.AF_INET6) == ["2001:db8::6"]


async def test_it_keeps_a_missing_name_missing_for_a_few_seconds(resolver, dns, clock):
    for _ in range(3):
        with pytest.raises(ProbeError) as caught:
            await resolver.addresses("nowhere.test", socket.AF_INET)
        assert (caught.value.kind, caught.value.message) == (
            "dns_error", "could not resolve 'nowhere.test': name does not exist")
    assert dns.queries["udp"] == 1
    dns.records[("nowhere.test", "A")] = ["192.0.2.5"]
    clock.advance(resolve_module.NEGATIVE_TTL + 0.1)
    assert await resolver.addresses("nowhere.test", socket.AF_INET) == ["192.0.2.5"]


async def test_it_does_not_cache_a_server_failure(resolver, dns):
    dns.rcode = "SERVFAIL"
    with pytest.raises(ProbeError) as caught:
        await resolver.addresses("svc.test", socket.AF_INET)
    assert caught.value.kind == "dns_error" and "could not resolve 'svc.test'" in caught.value.message
    dns.rcode = None
    assert await resolver.addresses("svc.test", socket.AF_INET) == ["192.0.2.10"]


async def test_it_answers_from_the_hosts_file_without_a_query(resolver, dns, clock, tmp_path):
    assert await resolver.addresses("pinned.test") == ["10.1.2.3"]
    assert await resolver.addresses("LOCALHOST") == ["127.0.0.1"]
    with pytest.raises(ProbeError):
        await resolver.addresses("pinned.test", socket.AF_INET6)  # no v6 entry: asks DNS, which says no
    assert dns.queries["udp"] == 1
    (tmp_path / "hosts").write_text("10.9.9.9 pinned.test\n")
    import os
    os.utime(tmp_path / "hosts", (1, 1))  # a different mtime, whatever the filesystem's resolution
    clock.advance(resolve_module.HOSTS_RECHECK)
    assert await resolver.addresses("pinned.test") == ["10.9.9.9"]


async def test_it_never_looks_up_an_ip_literal():
    assert await resolve("127.0.0.1", 80) == [(socket.AF_INET, ("127.0.0.1", 80))]
    assert await resolve("[::1]", 443) == [(socket.AF_INET6, ("::1", 443, 0, 0))]
    with pytest.raises(ProbeError) as caught:
        await resolve("127.0.0.1", 80, socket.AF_INET6)
    assert caught.value.message == "'127.0.0.1' is an IPv4 address, but ip_version asks for IPv6"
