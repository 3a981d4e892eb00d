"""ICMP probe against loopback (127.0.0.1, ::1) through the shared sockets.

On this host (root, ping_group_range "1 0") the sockets are raw; the tests at
the end run a copy of the daemon's code in a fresh network namespace where
ping sockets are allowed, so the datagram path and the start-up error are
exercised for real too. Packets are only ever sent to loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopback import has_ipv6_loopback
from upstatd.probes import PROBES, ProbeSetupError, run_probe
from upstatd.probes import icmp, icmp_socket
from upstatd.probes.icmp import IcmpTarget
from upstatd.probes.icmp_socket import IcmpSocket
from upstatd.probes.result import ProbeError

V4, V6 = socket.AF_INET, socket.AF_INET6
ROOT = Path(__file__).resolve().parents[2]


def ping_sockets_allowed() -> bool:
    low, high = map(int, Path("/proc/sys/net/ipv4/ping_group_range").read_text().split())
    return any(low <= gid <= high for gid in {os.getegid(), *os.getgroups()})


def require_icmp() -> None:
    # As root (the acceptance setting) nothing is skipped: a failure to open is a failure.
    if os.geteuid() != 0 and not ping_sockets_allowed():
        pytest.skip("neither root nor allowed by net.ipv4.ping_group_range")


def require_ipv6() -> None:
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) on this host")


@pytest.fixture
async def sockets():
    """The shared sockets, opened on the test's loop and closed after it."""
    require_icmp()
    await icmp.open()
    yield icmp_socket.sockets()
    await icmp.close()


@pytest.fixture
async def loop_errors():
    """Exceptions raised in loop callbacks (the socket reader) during the test."""
    errors = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
    return errors


@pytest.fixture
def held(monkeypatch):
    """Echo requests are recorded instead of sent: (icmp socket, bytes, sockaddr) each."""
    sent: list[tuple[IcmpSocket, bytes, tuple]] = []
    monkeypatch.setattr(IcmpSocket, "_transmit", lambda self, data, sockaddr: sent.append((self, data, sockaddr)))
    return sent


@pytest.fixture
def short_replies(monkeypatch):
    """A lost packet is given up after 0.2 s instead of 2 s, to keep the tests quick."""
    monkeypatch.setattr(icmp, "REPLY_TIMEOUT", 0.2)


async def until(condition, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.002)


def assert_good_round_trips(result, packets: int) -> None:
    d = result.details
    assert (d["packets_sent"], d["packets_received"], d["packet_loss"]) == (packets, packets, 0.0)
    assert 0 < d["rtt_min_ms"] <= d["rtt_avg_ms"] <= d["rtt_max_ms"] < 1000
    assert result.latency_ms == pytest.approx(d["rtt_avg_ms"], abs=0.001)


# -- loopback answers ----------------------------------------------------------------

async def test_127_0_0_1_answers_every_packet(sockets):
    before = sockets[V4].stats()
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=3, packet_interval=0.01), 5)
    assert result.ok, result
    assert (result.error_kind, result.error_message, result.status_code) == (None, None, None)
    assert set(result.phases) == {"resolve"}  # the echo exchange is in details, not a timed phase
    assert result.details["address"] == "127.0.0.1"
    assert_good_round_trips(result, 3)
    after = sockets[V4].stats()
    assert (after["sent"] - before["sent"], after["replies"] - before["replies"]) == (3, 3)
    assert after["pending"] == 0


async def test_ipv6_loopback_answers_every_packet(sockets):
    require_ipv6()
    assert V6 in sockets, icmp_socket._unavailable
    result = await run_probe("icmp", IcmpTarget("::1", packets=2, packet_interval=0.01), 5)
    assert result.ok, result
    assert result.details["address"] == "::1"
    assert_good_round_trips(result, 2)
    assert sockets[V6].stats()["replies"] == 2


async def test_a_name_is_resolved_first(sockets):
    result = await run_probe("icmp", IcmpTarget("localhost", packets=1, ip_version=4), 5)
    assert result.ok, result
    assert result.details["address"] == "127.0.0.1"
    assert "resolve" in result.phases


async def test_a_name_without_an_address_of_the_asked_version_is_a_dns_error(sockets, monkeypatch):
    async def only_v4(host, port):
        return [(V4, ("127.0.0.1", port))]
    monkeypatch.setattr(icmp, "resolve", only_v4)
    result = await run_probe("icmp", IcmpTarget("db.internal", ip_version=6), 5)
    assert (result.error_kind, result.error_message) == ("dns_error", "could not resolve 'db.internal': no IPv6 address")


async def test_the_spacing_between_packets_is_kept(sockets):
    started = time.perf_counter()
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=4, packet_interval=0.05), 5)
    elapsed = time.perf_counter() - started
    assert result.ok, result
    assert 0.15 <= elapsed < 1.0  # three gaps of 50 ms, then the last reply
    assert result.latency_ms < 50  # latency is the round trip, not the time spent between packets


async def test_200_concurrent_probes_share_the_sockets_and_each_gets_its_own_replies(sockets, loop_errors):
    opened = icmp_socket.sockets_opened
    families = [V4] + ([V6] if has_ipv6_loopback() and V6 in sockets else [])
    before = {family: sockets[family].stats() for family in families}
    targets = [IcmpTarget("127.0.0.1" if index % len(families) == 0 else "::1", packets=3, packet_interval=0.01)
               for index in range(200 * len(families))]
    results = await asyncio.gather(*(run_probe("icmp", target, 10) for target in targets))
    assert all(result.ok for result in results), [result for result in results if not result.ok][:3]
    assert all(result.details["packets_received"] == 3 for result in results)
    assert icmp_socket.sockets_opened == opened and icmp_socket.sockets() == sockets  # no socket per probe
    for family in families:
        stats = sockets[family].stats()
        # every packet had exactly one reply matched to it, none went to another probe
        assert stats["sent"] - before[family]["sent"] == 600
        assert stats["replies"] - before[family]["replies"] == 600
        assert stats["pending"] == 0
    assert loop_errors == []


# -- loss, deadlines, the pending table -------------------------------------------------

def drop(monkeypatch, which: set[int]) -> list[int]:
    """Send only the echo requests whose index (from 0) is not in `which`."""
    calls: list[int] = []
    real = IcmpSocket._transmit

    def transmit(self, data, sockaddr):
        calls.append(len(calls))
        if calls[-1] not in which:
            real(self, data, sockaddr)
    monkeypatch.setattr(IcmpSocket, "_transmit", transmit)
    return calls


async def test_loss_within_max_loss_is_up_with_the_figure(sockets, monkeypatch, short_replies):
    drop(monkeypatch, {1})
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=3, packet_interval=0.01, max_loss=50), 5)
    assert result.ok and result.error_kind is None, result
    d = result.details
    assert (d["packets_sent"], d["packets_received"], d["packet_loss"]) == (3, 2, 33.3)
    assert result.latency_ms == pytest.approx(d["rtt_avg_ms"], abs=0.001)
    assert sockets[V4].stats()["pending"] == 0


async def test_loss_above_max_loss_is_down_with_the_figure(sockets, monkeypatch, short_replies):
    drop(monkeypatch, {0, 2})
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=3, packet_interval=0.01, max_loss=50), 5)
    assert (result.ok, result.error_kind) == (False, "connection_error")
    assert result.error_message == "66.7% packet loss (3 sent, 1 received), max 50%"
    assert (result.details["packets_received"], result.details["packet_loss"]) == (1, 66.7)
    assert "rtt_avg_ms" in result.details


async def test_by_default_only_losing_every_packet_is_down(sockets, monkeypatch, short_replies):
    drop(monkeypatch, {0, 1, 3})
    assert (await run_probe("icmp", IcmpTarget("127.0.0.1", packets=4, packet_interval=0.01), 5)).ok
    drop(monkeypatch, {0, 1, 2, 3})
    started = time.perf_counter()
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=4, packet_interval=0.01), 5)
    # decided REPLY_TIMEOUT after the last packet, long before the 5 s deadline: loss, not a timeout
    assert time.perf_counter() - started < 1.0
    assert (result.ok, result.error_kind) == (False, "connection_error")
    assert result.error_message == "100% packet loss (4 sent, 0 received)"
    assert result.details == {"address": "127.0.0.1", "packets_sent": 4, "packets_received": 0,
                              "packet_loss": 100.0}


async def test_max_loss_0_fails_on_one_lost_packet(sockets, monkeypatch, short_replies):
    drop(monkeypatch, {4})
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=5, packet_interval=0.01, max_loss=0), 5)
    assert (result.error_kind, result.error_message) == (
        "connection_error", "20% packet loss (5 sent, 4 received), max 0%")


async def test_loss_equal_to_max_loss_is_still_up(sockets, monkeypatch, short_replies):
    drop(monkeypatch, {0})
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=2, packet_interval=0.01, max_loss=50), 5)
    assert result.ok and result.details["packet_loss"] == 50.0, result


async def test_a_reply_later_than_reply_timeout_counts_as_lost(sockets, monkeypatch, short_replies):
    real, calls = IcmpSocket._transmit, []

    def late(self, data, sockaddr):
        calls.append(data)
        # the first leaves 0.25 s after its send time, past its 0.2 s window; the second
        # 0.15 s after, within its window, so the probe still waits when the first reply comes
        self.loop.call_later(0.25 if len(calls) == 1 else 0.15, real, self, data, sockaddr)
    monkeypatch.setattr(IcmpSocket, "_transmit", late)
    v4 = sockets[V4]
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=2, packet_interval=0.15, max_loss=50), 5)
    assert v4.replies == 2  # the late reply was read and matched ...
    assert (result.details["packets_received"], result.details["packet_loss"]) == (1, 50.0)  # ... but not counted
    assert result.details["rtt_max_ms"] < 200


async def test_a_packet_the_kernel_drops_is_really_lost(sockets, monkeypatch, short_replies):
    """A wrong checksum makes the kernel discard the request: 127.0.0.1 stays silent."""
    if sockets[V4].kind != "raw":
        pytest.skip("only raw IPv4 sockets checksum in Python")
    real = IcmpSocket._transmit

    def wrong_checksum(self, data, sockaddr):
        assert icmp_socket.checksum(data) == 0, "the request's own checksum is right"
        real(self, data[:2] + bytes((data[2] ^ 0x55, data[3] ^ 0x55)) + data[4:], sockaddr)

    monkeypatch.setattr(IcmpSocket, "_transmit", wrong_checksum)
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=2, packet_interval=0.01), 5)
    assert (result.error_kind, result.error_message) == ("connection_error", "100% packet loss (2 sent, 0 received)")
    monkeypatch.setattr(IcmpSocket, "_transmit", real)
    assert (await run_probe("icmp", IcmpTarget("127.0.0.1", packets=1), 5)).ok


async def test_the_checksum_summed_ahead_is_the_checksum_of_each_request(sockets, monkeypatch):
    """send() sums the words that never change once; each request still checks out as RFC 1071
    says (the sum over the whole message, its checksum field included, folds to 0)."""
    if sockets[V4].kind != "raw":
        pytest.skip("only raw IPv4 sockets checksum in Python")
    sent = []
    monkeypatch.setattr(IcmpSocket, "_transmit", lambda self, data, sockaddr: sent.append(data))
    raw = sockets[V4]
    for count in (0, 1, 0xFFFE, 0xFFFF, 0x10000, 0xFFFF_FFFF, 2**63 - 2):
        raw._count = count
        raw.forget(raw.send(("127.0.0.1", 0), bytes((127, 0, 0, 1))))
        assert icmp_socket.checksum(sent[-1]) == 0, count
    assert len(sent) == 7


async def test_slower_than_max_rtt_is_degraded(sockets, monkeypatch):
    real = IcmpSocket._transmit

    def slow(self, data, sockaddr):  # each request leaves 30 ms after its send time was taken
        self.loop.call_later(0.03, real, self, data, sockaddr)
    monkeypatch.setattr(IcmpSocket, "_transmit", slow)
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=2, packet_interval=0.01, max_rtt=0.01), 5)
    assert (result.ok, result.degraded, result.error_kind) == (True, True, "slow_response")
    avg = result.details["rtt_avg_ms"]
    assert 25 <= avg < 1000  # the loop may run a timer a hair early
    assert result.error_message == f"average round trip {avg:.1f}ms, max 10ms"
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=2, packet_interval=0.01, max_rtt=1), 5)
    assert result.outcome == "up" and result.details["rtt_min_ms"] >= 25


async def test_the_deadline_cancels_the_probe_and_empties_the_pending_table(sockets, held, loop_errors):
    # the fifth request goes out at 80 ms: a 250 ms deadline leaves a busy machine room to send it
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=5, packet_interval=0.02), 0.25)
    assert (result.ok, result.error_kind) == (False, "timeout")
    assert result.error_message == "no answer within 250ms (during echo)"
    assert result.details["packets_sent"] == 5 and result.details["packets_received"] == 0
    assert len(held) == 5
    assert sockets[V4].pending == {}
    # the requests go out now, after the probe gave up: their replies are read and dropped
    ignored = sockets[V4].ignored
    for shared, data, sockaddr in held:
        shared.sock.sendto(data, sockaddr)
    await until(lambda: sockets[V4].ignored >= ignored + 5)
    assert sockets[V4].replies == 0 and sockets[V4].pending == {}
    assert loop_errors == []


async def test_a_timed_out_probe_keeps_its_partial_counts(sockets, monkeypatch):
    drop(monkeypatch, {1})  # the second reply never comes; REPLY_TIMEOUT (2 s) outlasts the deadline
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=2, packet_interval=0.01), 0.3)
    assert (result.error_kind, result.error_message) == ("timeout", "no answer within 300ms (during echo)")
    assert (result.details["packets_sent"], result.details["packets_received"]) == (2, 1)
    assert sockets[V4].pending == {}


async def test_hundreds_of_cancelled_probes_leave_nothing_behind(sockets, held):
    results = await asyncio.gather(*(run_probe("icmp", IcmpTarget("127.0.0.1", packets=3, packet_interval=0.01), 0.05)
                                     for _ in range(300)))
    assert {result.error_kind for result in results} == {"timeout"}
    assert sockets[V4].pending == {}


# -- what the socket reads and ignores (raw sockets see everything) -----------------------

def raw_only(sockets) -> None:
    if sockets[V4].kind != "raw":
        pytest.skip("a datagram socket only ever sees its own replies")


def ipv4_header(source: str, destination: str, protocol: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, protocol, 0,
                         socket.inet_aton(source), socket.inet_aton(destination))
    return header[:10] + icmp_socket.checksum(header).to_bytes(2, "big") + header[12:]


def with_checksum(message: bytes) -> bytes:
    return message[:2] + icmp_socket.checksum(message[:2] + b"\0\0" + message[4:]).to_bytes(2, "big") + message[4:]


def inject_v4(message: bytes, source: str = "127.0.0.1") -> None:
    """An ICMP message arriving at 127.0.0.1 from `source` (a 127/8 address), through the kernel."""
    with socket.socket(V4, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        sock.bind((source, 0))  # a raw socket's bound address is the packet's source
        sock.sendto(with_checksum(message), ("127.0.0.1", 0))


def echo_reply(ident: int, seq: int, payload: bytes) -> bytes:
    return struct.pack("!BBHHH", 0, 0, 0, ident, seq) + payload


async def start_held_probe(sockets, held, target: IcmpTarget, timeout: float = 5):
    task = asyncio.ensure_future(run_probe("icmp", target, timeout))
    await until(lambda: len(held) == target.packets)
    return task


async def test_replies_that_are_not_ours_are_ignored(sockets, held, loop_errors):
    raw_only(sockets)
    v4 = sockets[V4]
    task = await start_held_probe(sockets, held, IcmpTarget("127.0.0.1", packets=1))
    (packet,) = v4.pending.values()
    payload = held[0][1][8:]
    ignored = v4.ignored
    inject_v4(echo_reply(v4.ident ^ 1, packet.seq, payload))                 # another process's identifier
    inject_v4(echo_reply(v4.ident, (packet.seq + 1) & 0xFFFF, payload))      # a sequence not in flight
    inject_v4(echo_reply(v4.ident, packet.seq, b"\0" * len(payload)))        # right numbers, not our token
    inject_v4(echo_reply(v4.ident, packet.seq, payload), source="127.0.0.9")  # from another address
    inject_v4(echo_reply(v4.ident, packet.seq, payload)[:20])                # cut short
    await until(lambda: v4.ignored >= ignored + 5)  # >=: other processes' pings show up too
    assert not task.done() and packet.received is None
    inject_v4(echo_reply(v4.ident, packet.seq, payload))                     # the real one
    result = await task
    assert result.ok and result.details["packets_received"] == 1, result
    assert v4.pending == {} and loop_errors == []


def unreachable_v4(code: int, quoted_request: bytes, destination: str = "127.0.0.1") -> bytes:
    inner = ipv4_header("127.0.0.1", destination, socket.IPPROTO_ICMP, quoted_request) + quoted_request
    return struct.pack("!BBHI", 3, code, 0, 0) + inner


async def test_an_unreachable_reply_fails_the_packet_at_once_and_names_the_router(sockets, held, loop_errors):
    raw_only(sockets)
    v4 = sockets[V4]
    started = time.perf_counter()
    task = await start_held_probe(sockets, held, IcmpTarget("127.0.0.1", packets=2, packet_interval=0.01))
    inject_v4(unreachable_v4(1, held[0][1]), source="127.0.0.7")
    inject_v4(unreachable_v4(13, held[1][1][:8]), source="127.0.0.8")  # a router quoting only 8 bytes
    result = await task
    assert time.perf_counter() - started < 1.0  # not REPLY_TIMEOUT: the errors settled both packets
    assert (result.error_kind, result.error_message) == (
        "connection_error",
        "100% packet loss (2 sent, 0 received): communication administratively prohibited (reported by 127.0.0.8)")
    assert v4.errors == 2 and v4.pending == {} and loop_errors == []


async def test_errors_about_other_packets_are_ignored(sockets, held):
    raw_only(sockets)
    v4 = sockets[V4]
    task = await start_held_probe(sockets, held, IcmpTarget("127.0.0.1", packets=1))
    request = held[0][1]
    ignored = v4.ignored
    inject_v4(unreachable_v4(1, request, destination="127.0.0.3"))       # we did not send it there
    inject_v4(unreachable_v4(1, request[:8] + b"\0" * 16))              # another request's token
    other_ident = (v4.ident ^ 1).to_bytes(2, "big")
    inject_v4(unreachable_v4(1, request[:4] + other_ident + request[6:]))  # another identifier
    await until(lambda: v4.ignored >= ignored + 3)
    assert not task.done() and v4.errors == 0
    inject_v4(unreachable_v4(0, request))                                # about our request
    result = await asyncio.wait_for(task, 1)
    assert result.error_message == "100% packet loss (1 sent, 0 received): network unreachable (reported by 127.0.0.1)"
    assert v4.errors == 1


async def test_an_ipv6_unreachable_reply_is_understood(sockets, held):
    require_ipv6()
    if sockets.get(V6) is None or sockets[V6].kind != "raw":
        pytest.skip("needs a raw ICMPv6 socket")
    task = await start_held_probe(sockets, held, IcmpTarget("::1", packets=1))
    request = held[0][1]
    loopback = socket.inet_pton(V6, "::1")
    inner = struct.pack("!IHBB16s16s", 0x60000000, len(request), 58, 64, loopback, loopback) + request
    with socket.socket(V6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as sock:  # the kernel fills the checksum
        sock.sendto(struct.pack("!BBHI", 1, 3, 0, 0) + inner, ("::1", 0))
    result = await task
    assert result.error_message == "100% packet loss (1 sent, 0 received): address unreachable (reported by ::1)"


def test_icmp_error_texts():
    assert icmp_socket.describe_icmp_error(V4, 3, 0, "10.0.0.1") == "network unreachable (reported by 10.0.0.1)"
    assert icmp_socket.describe_icmp_error(V4, 11, 0, "10.0.0.1") == "time to live exceeded in transit (reported by 10.0.0.1)"
    assert icmp_socket.describe_icmp_error(V4, 3, 99, "10.0.0.1") == "destination unreachable (code 99) (reported by 10.0.0.1)"
    assert icmp_socket.describe_icmp_error(V6, 3, 0, "fe80::1") == "hop limit exceeded in transit (reported by fe80::1)"


def test_the_checksum_is_rfc_1071():
    # the example of RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2
    assert icmp_socket.checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2
    packet = bytes.fromhex("0800") + b"\0\0" + bytes.fromhex("1234000748656c6c6f")
    full = packet[:2] + icmp_socket.checksum(packet).to_bytes(2, "big") + packet[4:]
    assert icmp_socket.checksum(full) == 0  # a correct packet checks to zero, odd length included


# -- sequence numbers, sending -------------------------------------------------------------

async def test_sequence_numbers_skip_those_in_flight_and_wrap(sockets):
    v4 = sockets[V4]
    v4._next_seq = 0xFFFE
    v4.pending.update({0xFFFF: object(), 0: object()})
    try:
        assert [v4.allocate_seq() for _ in range(2)] == [0xFFFE, 1]
    finally:
        v4.pending.clear()


async def test_a_full_table_is_an_error_not_a_reuse(sockets):
    v4 = sockets[V4]
    v4.pending.update(dict.fromkeys(range(0x10000)))
    try:
        with pytest.raises(ProbeError, match=r"too many IPv4 echo requests in flight \(65536\)"):
            v4.allocate_seq()
    finally:
        v4.pending.clear()


async def test_a_destination_the_kernel_refuses_is_a_connection_error(sockets, monkeypatch):
    def refuse(self, data, sockaddr):
        raise OSError(101, "Network is unreachable")
    monkeypatch.setattr(IcmpSocket, "_transmit", refuse)
    result = await run_probe("icmp", IcmpTarget("127.0.0.1"), 5)
    assert (result.error_kind, result.error_message) == (
        "connection_error", "could not send to 127.0.0.1: network is unreachable")
    assert sockets[V4].pending == {}


async def test_an_error_left_by_another_probe_does_not_fail_this_send(sockets, monkeypatch):
    """A ping socket reports a pending ICMP error on the next send, once: it is retried."""
    real, failed = IcmpSocket._transmit, []

    def once(self, data, sockaddr):
        if not failed:
            failed.append(1)
            raise OSError(113, "No route to host")
        real(self, data, sockaddr)
    monkeypatch.setattr(IcmpSocket, "_transmit", once)
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=1), 5)
    assert result.ok and failed == [1], result


async def test_a_full_send_buffer_is_a_lost_packet(sockets, monkeypatch):
    def full(self, data, sockaddr):
        raise BlockingIOError(11, "Resource temporarily unavailable")
    monkeypatch.setattr(IcmpSocket, "_transmit", full)
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=2, packet_interval=0.01), 5)
    assert result.error_message == "100% packet loss (2 sent, 0 received): send buffer full"


# -- open and close ----------------------------------------------------------------------

async def test_open_twice_keeps_the_same_sockets(sockets):
    opened = icmp_socket.sockets_opened
    await icmp.open()
    assert icmp_socket.sockets() == sockets and icmp_socket.sockets_opened == opened
    assert len(sockets) == (2 if V6 in sockets else 1)  # one per family, no more


async def test_close_closes_the_sockets_and_a_probe_opens_them_again():
    require_icmp()
    await icmp.open()
    opened = icmp_socket.sockets()
    await icmp.close()
    await icmp.close()  # twice is harmless
    assert icmp_socket.sockets() == {}
    assert all(shared.sock.fileno() == -1 for shared in opened.values())
    result = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=1), 5)  # opened on demand
    assert result.ok, result
    assert icmp_socket.sockets()[V4] is not opened[V4]
    await icmp.close()


async def test_closing_ends_the_wait_of_a_running_probe(sockets, held):
    task = await start_held_probe(sockets, held, IcmpTarget("127.0.0.1", packets=1))
    await icmp.close()
    result = await asyncio.wait_for(task, 1)
    assert result.error_message == "100% packet loss (1 sent, 0 received): the ICMP socket was closed"


async def test_no_way_to_ping_fails_start_up_naming_both_fixes(monkeypatch):
    await icmp.close()
    real = icmp_socket._new_socket

    def new_socket(family, kind, proto):
        raise PermissionError(13 if kind == socket.SOCK_DGRAM else 1,
                              os.strerror(13 if kind == socket.SOCK_DGRAM else 1))
    monkeypatch.setattr(icmp_socket, "_new_socket", new_socket)
    expected = ('ICMP monitors need either unprivileged ping sockets (sysctl net.ipv4.ping_group_range = '
                '"0 2147483647") or raw sockets (run as root, or grant CAP_NET_RAW: '
                'AmbientCapabilities=CAP_NET_RAW in the systemd unit) '
                '(ping socket: permission denied; raw socket: operation not permitted)')
    with pytest.raises(ProbeSetupError) as raised:
        await PROBES["icmp"].open()
    assert str(raised.value) == expected
    assert icmp_socket.sockets() == {}
    # a probe that runs anyway fails with the same explanation instead of raising
    result = await run_probe("icmp", IcmpTarget("127.0.0.1"), 5)
    assert (result.error_kind, result.error_message) == ("connection_error", expected)
    monkeypatch.setattr(icmp_socket, "_new_socket", real)
    await icmp.close()


async def test_a_host_without_ipv6_still_starts_and_ipv6_probes_say_why(monkeypatch):
    require_icmp()
    await icmp.close()
    real = icmp_socket._new_socket

    def new_socket(family, kind, proto):
        if family == V6:
            raise OSError(97, "Address family not supported by protocol")
        return real(family, kind, proto)
    monkeypatch.setattr(icmp_socket, "_new_socket", new_socket)
    try:
        await icmp.open()
        assert set(icmp_socket.sockets()) == {V4}
        result = await run_probe("icmp", IcmpTarget("::1"), 5)
        assert (result.error_kind, result.error_message) == (
            "connection_error", "IPv6 is not available on this host (ping socket: address family not "
                                "supported by protocol; raw socket: address family not supported by protocol)")

        async def both(host, port):
            return [(V6, ("::1", port, 0, 0)), (V4, ("127.0.0.1", port))]
        monkeypatch.setattr(icmp, "resolve", both)
        result = await run_probe("icmp", IcmpTarget("dual.internal"), 5)  # auto: the family that works
        assert result.ok and result.details["address"] == "127.0.0.1", result
    finally:
        await icmp.close()


# -- the real thing in a fresh network namespace ----------------------------------------

NETNS_SCRIPT = r"""
import asyncio, json, socket, struct, subprocess, sys, time
from upstatd.probes import icmp, icmp_socket, run_probe, ProbeSetupError
from upstatd.probes.icmp import IcmpTarget
from upstatd.probes.icmp_socket import IcmpSocket

async def main():
    out = {}
    if sys.argv[2] == "setup-error":
        try:
            await icmp.open()
            out["error"] = None
        except ProbeSetupError as exc:
            out["error"] = str(exc)
        print(json.dumps(out))
        return
    await icmp.open()
    socks = icmp_socket.sockets()
    out["kinds"] = {str(f): s.kind for f, s in socks.items()}
    out["idents"] = {str(f): [s.ident, s.sock.getsockname()[1]] for f, s in socks.items()}
    out["one"] = {}
    for host in ("127.0.0.1", "::1"):
        r = await run_probe("icmp", IcmpTarget(host, packets=2, packet_interval=0.01), 5)
        out["one"][host] = [r.ok, r.details.get("packets_received")]
    targets = [IcmpTarget("127.0.0.1" if i % 2 else "::1", packets=3, packet_interval=0.01) for i in range(200)]
    results = await asyncio.gather(*(run_probe("icmp", t, 10) for t in targets))
    out["many"] = sorted({(r.ok, r.details.get("packets_received")) for r in results})
    out["pending"] = sum(len(s.pending) for s in socks.values())
    out["opened"] = icmp_socket.sockets_opened

    # an unreachable for a request that was never sent arrives on the error queue
    held, transmit = [], IcmpSocket._transmit
    IcmpSocket._transmit = lambda self, data, addr: held.append(data)
    task = asyncio.ensure_future(run_probe("icmp", IcmpTarget("127.0.0.1", packets=1), 5))
    while not held:
        await asyncio.sleep(0.001)
    request = held[0][:4] + struct.pack("!H", socks[socket.AF_INET].ident) + held[0][6:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(request), 1, 0, 64, 1, 0,
                         socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    header = header[:10] + icmp_socket.checksum(header).to_bytes(2, "big") + header[12:]
    message = struct.pack("!BBHI", 3, 1, 0, 0) + header + request
    message = message[:2] + icmp_socket.checksum(message).to_bytes(2, "big") + message[4:]
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as raw:
        raw.bind(("127.0.0.5", 0))
        raw.sendto(message, ("127.0.0.1", 0))
    r = await task
    out["unreachable"] = [r.error_kind, r.error_message, round(r.latency_ms)]
    IcmpSocket._transmit = transmit

    # loopback that never answers: only in this namespace
    subprocess.run(["sysctl", "-q", "-w", "net.ipv4.icmp_echo_ignore_all=1"], check=True)
    icmp.REPLY_TIMEOUT = 0.2
    r = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=3, packet_interval=0.01), 5)
    out["silent"] = [r.error_kind, r.error_message]
    # requests at 0 and 200 ms, the third due at 400: 100 ms either side of the 300 ms deadline
    r = await run_probe("icmp", IcmpTarget("127.0.0.1", packets=3, packet_interval=0.2), 0.3)
    out["silent_deadline"] = [r.error_kind, r.error_message, r.details["packets_sent"]]
    out["pending_after"] = sum(len(s.pending) for s in socks.values())
    await icmp.close()
    print(json.dumps(out))

loop = sys.argv[1]
if loop == "uvloop":
    import uvloop
    uvloop.run(main())
else:
    asyncio.run(main())
"""


def run_in_netns(tmp_path: Path, loop: str, mode: str, *, ping_sockets: bool = True,
                 cap_net_raw: bool = True) -> dict:
    """Runs NETNS_SCRIPT in a private network namespace (its own lo and sysctls) and returns its JSON."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a private network namespace")
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    script = tmp_path / "netns_probe.py"
    script.write_text(NETNS_SCRIPT)
    command = shlex.join([sys.executable, str(script), loop, mode])
    if not cap_net_raw:
        command = shlex.join(["capsh", "--drop=cap_net_raw", "--", "-c", command])
    setup = "ip link set lo up"
    if ping_sockets:  # a fresh namespace starts with ping_group_range "1 0": no one
        setup += " && sysctl -q -w net.ipv4.ping_group_range='0 2147483647'"
    proc = subprocess.run(["unshare", "--net", "sh", "-c", f"{setup} && {command}"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0 and "unshare failed" in proc.stderr:
        pytest.skip(f"no network namespaces here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_unprivileged_ping_sockets_are_preferred_where_allowed(tmp_path, loop):
    out = run_in_netns(tmp_path, loop, "run")
    v4, v6 = str(int(V4)), str(int(V6))
    assert out["kinds"][v4] == "dgram"
    # the kernel chose the identifier; it is the socket's port
    assert out["idents"][v4][0] == out["idents"][v4][1] != 0
    assert out["one"]["127.0.0.1"] == [True, 2]
    if v6 in out["kinds"]:
        assert out["kinds"][v6] == "dgram" and out["idents"][v6][0] == out["idents"][v6][1]
        assert out["one"]["::1"] == [True, 2]
        assert out["many"] == [[True, 3]]
    assert out["pending"] == 0 and out["opened"] == len(out["kinds"])
    kind, message, _ = out["unreachable"]
    assert (kind, message) == ("connection_error",
                               "100% packet loss (1 sent, 0 received): host unreachable (reported by 127.0.0.5)")
    assert out["silent"] == ["connection_error", "100% packet loss (3 sent, 0 received)"]
    assert out["silent_deadline"] == ["timeout", "no answer within 300ms (during echo)", 2]
    assert out["pending_after"] == 0


def test_without_ping_sockets_or_cap_net_raw_start_up_fails_with_both_fixes(tmp_path):
    if shutil.which("capsh") is None:
        pytest.skip("needs capsh(1) to drop CAP_NET_RAW")
    out = run_in_netns(tmp_path, "asyncio", "setup-error", ping_sockets=False, cap_net_raw=False)
    assert out["error"] == icmp_socket.SETUP_ERROR + " (ping socket: permission denied; raw socket: operation not permitted)"
