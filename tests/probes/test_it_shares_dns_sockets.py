"""DNS monitors share one UDP socket per nameserver: concurrent queries, distinct ids,
answers matched whatever their order, one probe's failure or timeout leaving the others be."""

import asyncio

import dns.message
import pytest

from dns_server import DnsServer, a_answer, start_dns, start_udp
from loopback import has_ipv6_loopback
from upstatd.config.check import Problems
from upstatd.probes import dns as dns_probe
from upstatd.probes import dns_socket as dns_sockets
from upstatd.probes import run_probe
from upstatd.probes.dns import prepare


pytestmark = pytest.mark.usefixtures("closes_dns_sockets")


@pytest.fixture
def server(dns_server: DnsServer) -> DnsServer:
    return dns_server


def target(url: str, nameserver: str, **options):
    problems = Problems("config.yaml")
    result = prepare(url, {"nameserver": nameserver, **options}, ("monitors", 0), problems)
    assert not problems, problems.messages()
    return result


async def test_concurrent_probes_share_one_socket_with_distinct_ids_and_take_their_own_answers():
    queries: list[tuple[dns.message.Message, tuple]] = []
    count = 50

    def answer_all_in_reverse(data, addr, transport):
        queries.append((dns.message.from_wire(data), addr))
        if len(queries) == count:  # every query in flight at once: answer the last first
            for query, source in reversed(queries):
                index = query.question[0].name.labels[0].decode()[1:]
                transport.sendto(a_answer(query, f"192.0.2.{index}").to_wire(), source)

    transport, port = await start_udp(answer_all_in_reverse)
    try:
        results = await asyncio.gather(*(
            run_probe("dns", target(f"h{n}.example.com", f"127.0.0.1:{port}", equals=[f"192.0.2.{n}"]), 2)
            for n in range(count)))
    finally:
        transport.close()
    assert [result.error_message for result in results] == [None] * count
    assert [result.details["answers"] for result in results] == [[f"192.0.2.{n}"] for n in range(count)]
    assert len({source for _, source in queries}) == 1, "one socket for the nameserver"
    assert len({query.id for query, _ in queries}) == count, "ids never collide while in flight"
    shared = dns_sockets.sockets()[("127.0.0.1", port)]
    assert (shared.sent, shared.answers, shared.ignored, shared.pending) == (count, count, 0, {})


async def test_each_nameserver_has_its_own_socket(server):
    other = await start_dns()
    try:
        server.records[("example.com", "A")] = ["192.0.2.1"]
        other.records[("example.com", "A")] = ["192.0.2.2"]
        first, second = await asyncio.gather(
            run_probe("dns", target("example.com", server.address, equals=["192.0.2.1"]), 2),
            run_probe("dns", target("example.com", other.address, equals=["192.0.2.2"]), 2))
        assert first.ok and second.ok, (first, second)
        assert set(dns_sockets.sockets()) == {("127.0.0.1", server.port), ("127.0.0.1", other.port)}
        assert server.udp_clients[0] != other.udp_clients[0]
    finally:
        await other.close()


async def test_a_probe_that_times_out_leaves_the_others_on_the_socket_be():
    def quiet_for_one(data, addr, transport):
        query = dns.message.from_wire(data)
        if query.question[0].name.to_text() != "silent.example.com.":
            transport.sendto(a_answer(query, "192.0.2.1").to_wire(), addr)

    transport, port = await start_udp(quiet_for_one)
    try:
        silent, *answered = await asyncio.gather(
            run_probe("dns", target("silent.example.com", f"127.0.0.1:{port}"), 0.3),
            *(run_probe("dns", target("example.com", f"127.0.0.1:{port}"), 2) for _ in range(5)))
    finally:
        transport.close()
    assert (silent.error_kind, silent.error_message) == ("timeout", "no answer within 300ms (during resolve)")
    assert all(result.ok for result in answered), answered
    assert dns_sockets.sockets()[("127.0.0.1", port)].pending == {}


async def test_a_truncated_answer_goes_over_tcp_while_others_stay_on_udp(server):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    server.records[("big.example.com", "TXT")] = [f'"{n:02d}{"x" * 200}"' for n in range(10)]
    big, *small = await asyncio.gather(
        run_probe("dns", target("big.example.com", server.address, record_type="TXT", min_answers=10), 2),
        *(run_probe("dns", target("example.com", server.address), 2) for _ in range(3)))
    assert big.ok, big
    assert big.details["transport"] == "tcp"
    assert [result.details["transport"] for result in small] == ["udp"] * 3
    assert server.queries == {"udp": 4, "tcp": 1}
    await server.wait_tcp_closed()


async def test_a_socket_error_fails_its_probe_at_once_and_not_the_others(server):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    # the kernel refuses a datagram to the broadcast address (no SO_BROADCAST): nothing is sent
    refused, *answered = await asyncio.gather(
        run_probe("dns", target("example.com", "255.255.255.255"), 2),
        *(run_probe("dns", target("example.com", server.address), 2) for _ in range(5)))
    assert (refused.ok, refused.error_kind) == (False, "connection_error")
    assert refused.error_message == "could not reach 255.255.255.255:53: permission denied"
    assert refused.latency_ms < 500
    assert all(result.ok for result in answered), answered
    assert dns_sockets.sockets()[("255.255.255.255", 53)].pending == {}


async def test_probes_waiting_when_the_sockets_close_end_as_connection_errors(server):
    server.silent = True
    probe = asyncio.ensure_future(run_probe("dns", target("example.com", server.address), 2))
    while not server.queries["udp"]:
        await asyncio.sleep(0.001)
    await dns_probe.close()
    result = await probe
    assert (result.error_kind, result.error_message) == (
        "connection_error", f"could not reach {server.address}: the DNS socket was closed")
    assert dns_sockets.sockets() == {}


async def test_sockets_of_many_nameservers_are_closed_when_idle(server, monkeypatch):
    monkeypatch.setattr(dns_sockets, "MAX_IDLE_SOCKETS", 3)
    server.records[("example.com", "A")] = ["192.0.2.1"]
    busy = await start_dns()
    busy.silent = True
    try:
        waiting = asyncio.ensure_future(run_probe("dns", target("example.com", busy.address), 2))
        while not busy.queries["udp"]:
            await asyncio.sleep(0.001)
        # two more nameservers (other loopback addresses, this port: nothing answers, a timeout)
        for host in ("127.0.0.2", "127.0.0.3"):
            await run_probe("dns", target("example.com", f"{host}:{server.port}"), 0.05)
        assert set(dns_sockets.sockets()) == {("127.0.0.1", busy.port), ("127.0.0.2", server.port),
                                              ("127.0.0.3", server.port)}
        result = await run_probe("dns", target("example.com", server.address), 2)
        assert result.ok, result
        # the idle ones went; the one with a query in flight stayed, its query still waiting
        assert set(dns_sockets.sockets()) == {("127.0.0.1", busy.port), ("127.0.0.1", server.port)}
        assert not waiting.done()
        waiting.cancel()
    finally:
        await busy.close()


async def test_a_nameserver_with_an_ipv6_scope_is_answered():
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) on this host")
    server = await start_dns("::1")
    try:
        server.records[("example.com", "AAAA")] = ["2001:db8::1"]
        result = await run_probe("dns", target("example.com", f"[::1%lo]:{server.port}", record_type="AAAA"), 2)
        assert result.ok, result
        assert result.details["transport"] == "udp"
    finally:
        await server.close()
