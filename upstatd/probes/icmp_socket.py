"""The ICMP sockets: one per address family, shared by every ICMP monitor.

icmp.py holds the config and the probe; this module holds what the probes
share: the socket of each family, the table of packets in flight on it, and
the reading that matches replies and ICMP errors to those packets.

Sockets. Every ICMP monitor of the process shares two sockets, one for IPv4
and one for IPv6, opened by `open()` at start-up (DESIGN.md: one socket per
probe does not scale). For each family `open()` tries, in order:

1. an unprivileged ICMP datagram socket (SOCK_DGRAM, IPPROTO_ICMP[V6]),
   allowed when the process's group is inside `net.ipv4.ping_group_range`
   (the sysctl governs IPv6 too; root is not exempt). The kernel owns the
   echo identifier: it is the socket's "port", chosen at bind and reported by
   `getsockname()[1]`; the kernel overwrites whatever identifier we write,
   computes the checksum, and delivers only the replies carrying that
   identifier. ICMP errors (unreachable, TTL exceeded) arrive on the error
   queue (IP_RECVERR), with the router's address as the offender;
2. a raw socket (SOCK_RAW), which needs root or CAP_NET_RAW. We pick the
   identifier (random, 16 bits) and compute the IPv4 checksum (the kernel
   does IPv6's). A raw socket sees every ICMP packet the host receives --
   other processes' echo replies, its own requests on loopback -- so a
   kernel filter passes only echo replies, unreachables and time exceeded,
   and everything that is not ours is dropped. IPv4 raw reads start with the
   IP header; IPv6 raw reads do not.

Without either for IPv4, `open()` raises ProbeSetupError naming both fixes.
IPv6 is optional: a host without it still starts, and a probe to an IPv6
target then fails with a connection_error saying why.

Matching. Each socket has one table: sequence number -> packet in flight.
Sequence numbers come from a per-socket 16-bit counter that skips numbers
still in flight. A reply counts only if its identifier, its sequence, its
source address and the 16-byte token in its payload (a per-socket random
nonce plus a packet counter) all match, so another process's ping, a reply to
a sequence number reused after wrap-around, or a late duplicate is dropped.
An ICMP error is matched by the echo request it quotes (identifier, sequence,
original destination). Every probe removes its packets from the table when
it ends, however it ends (run_probe's deadline cancels it), so the table only
ever holds packets of running probes.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import struct
import time
from typing import Any

from upstatd.probes.result import ProbeError

PAYLOAD_SIZE = 56            # bytes after the 8-byte ICMP header, as ping(8) sends
RECV_SIZE = 2048             # an echo reply is 84 bytes; an ICMP error quotes up to 1232
READ_BATCH = 256             # packets read per readiness callback, to stay fair to the loop
RECV_BUFFER = 4 * 1024 * 1024  # bursts of replies; the kernel caps it at net.core.rmem_max

SETUP_ERROR = (
    "ICMP monitors need either unprivileged ping sockets (sysctl "
    "net.ipv4.ping_group_range = \"0 2147483647\") or raw sockets (run as root, or "
    "grant CAP_NET_RAW: AmbientCapabilities=CAP_NET_RAW in the systemd unit)")

# Linux socket option numbers the socket module does not export
_SOL_RAW, _ICMP_FILTER = 255, 1
_ICMP6_FILTER = 1
_IP_RECVERR, _SOL_IPV6, _IPV6_RECVERR = 11, 41, 25
_SO_EE_ORIGIN_ICMP, _SO_EE_ORIGIN_ICMP6 = 2, 3

_FAMILY_NAME = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}
_PROTO = {socket.AF_INET: socket.IPPROTO_ICMP, socket.AF_INET6: socket.IPPROTO_ICMPV6}
_ECHO_REQUEST = {socket.AF_INET: 8, socket.AF_INET6: 128}
_ECHO_REPLY = {socket.AF_INET: 0, socket.AF_INET6: 129}
_ANY = {socket.AF_INET: "0.0.0.0", socket.AF_INET6: "::"}
_PAD = bytes(range(PAYLOAD_SIZE - 16))

# (family, type) -> (code -> text, text for other codes)
_ICMP_ERRORS: dict[tuple[int, int], tuple[dict[int, str], str]] = {
    (socket.AF_INET, 3): ({
        0: "network unreachable", 1: "host unreachable", 2: "protocol unreachable",
        3: "port unreachable", 4: "fragmentation needed", 5: "source route failed",
        6: "destination network unknown", 7: "destination host unknown",
        9: "network administratively prohibited", 10: "host administratively prohibited",
        11: "network unreachable for type of service", 12: "host unreachable for type of service",
        13: "communication administratively prohibited", 14: "host precedence violation",
        15: "precedence cutoff in effect"}, "destination unreachable"),
    (socket.AF_INET, 11): ({0: "time to live exceeded in transit",
                            1: "fragment reassembly time exceeded"}, "time exceeded"),
    (socket.AF_INET6, 1): ({
        0: "no route to destination", 1: "communication administratively prohibited",
        2: "beyond scope of source address", 3: "address unreachable", 4: "port unreachable",
        5: "source address failed ingress/egress policy", 6: "reject route to destination"},
        "destination unreachable"),
    (socket.AF_INET6, 3): ({0: "hop limit exceeded in transit",
                            1: "fragment reassembly time exceeded"}, "time exceeded"),
}


def describe_icmp_error(family: int, icmp_type: int, code: int, reporter: str) -> str:
    """'host unreachable (reported by 10.0.0.1)'."""
    codes, other = _ICMP_ERRORS.get((family, icmp_type), ({}, f"ICMP error type {icmp_type}"))
    what = codes.get(code, f"{other} (code {code})")
    return f"{what} (reported by {reporter})"


# -- the shared sockets ------------------------------------------------------------

class _Packet:
    __slots__ = ("seq", "token", "address", "sent", "received", "error", "waiter")

    def __init__(self, seq: int, token: bytes, address: bytes, waiter: asyncio.Future) -> None:
        self.seq = seq
        self.token = token
        self.address = address          # packed destination: the only valid source of the reply
        self.sent = 0.0                 # time.perf_counter()
        self.received: float | None = None
        self.error: str | None = None   # an ICMP error about this packet
        self.waiter = waiter            # done when answered or lost for sure

    @property
    def done(self) -> bool:
        return self.received is not None or self.error is not None


class IcmpSocket:
    """One ICMP socket of one family, shared by every probe of the process."""

    def __init__(self, family: int, kind: str, sock: socket.socket, ident: int,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.family = family
        self.kind = kind                # "dgram" or "raw"
        self.sock = sock
        self.ident = ident
        self.loop = loop
        self.pending: dict[int, _Packet] = {}
        self._next_seq = int.from_bytes(os.urandom(2), "big")
        self._nonce = os.urandom(8)
        # the checksum's sum over the type, the identifier, the nonce and the padding
        fixed = struct.pack("!BBH", _ECHO_REQUEST[family], 0, ident) + self._nonce + _PAD
        self._fixed_sum = sum(struct.unpack(f"!{len(fixed) // 2}H", fixed))
        self._count = 0
        self._recverr = kind == "dgram"
        self._raw_v4 = kind == "raw" and family == socket.AF_INET
        # counters, for tests and /healthz
        self.sent = 0
        self.replies = 0                # replies matched to a packet in flight
        self.errors = 0                 # ICMP errors matched to a packet in flight
        self.ignored = 0                # everything else read from the socket
        loop.add_reader(sock.fileno(), self._on_readable)

    # sending

    def send(self, sockaddr: tuple, address: bytes) -> _Packet:
        """Send one echo request; raises ProbeError when the kernel refuses it outright."""
        seq = self.allocate_seq()
        self._count += 1
        count = self._count
        token = self._nonce + count.to_bytes(8, "big")
        sum_ = 0
        if self._raw_v4:  # datagram sockets and IPv6 get the checksum from the kernel
            # the words that do not change were summed once; add the sequence and the counter's
            sum_ = (self._fixed_sum + seq + (count >> 48) + ((count >> 32) & 0xFFFF)
                    + ((count >> 16) & 0xFFFF) + (count & 0xFFFF))
            sum_ = (sum_ >> 16) + (sum_ & 0xFFFF)
            sum_ = ~(sum_ + (sum_ >> 16)) & 0xFFFF
        data = struct.pack("!BBHHH", _ECHO_REQUEST[self.family], 0, sum_, self.ident, seq) + token + _PAD
        packet = _Packet(seq, token, address, self.loop.create_future())
        self.pending[seq] = packet
        for attempt in (1, 2):
            packet.sent = time.perf_counter()
            try:
                self._transmit(data, sockaddr)
                break
            except (BlockingIOError, InterruptedError):
                self._lost(packet, "send buffer full")
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    self._lost(packet, "no buffer space")
                    break
                # A datagram socket reports a pending ICMP error (sk_err, another
                # probe's unreachable) on the next send; it is cleared by that
                # report, so one retry tells it from this destination's own error.
                if attempt == 2 or exc.errno == errno.EBADF:
                    self.forget(packet)
                    reason = os.strerror(exc.errno) if exc.errno else str(exc)
                    raise ProbeError("connection_error", f"could not send to {sockaddr[0]}: "
                                                         f"{reason[0].lower()}{reason[1:]}") from None
        self.sent += 1
        return packet

    def _transmit(self, data: bytes, sockaddr: tuple) -> None:
        self.sock.sendto(data, sockaddr)

    def allocate_seq(self) -> int:
        if len(self.pending) >= 0x10000:
            raise ProbeError("connection_error",
                             f"too many {_FAMILY_NAME[self.family]} echo requests in flight (65536)")
        seq = self._next_seq
        while seq in self.pending:
            seq = (seq + 1) & 0xFFFF
        self._next_seq = (seq + 1) & 0xFFFF
        return seq

    def forget(self, packet: _Packet) -> None:
        if self.pending.get(packet.seq) is packet:
            del self.pending[packet.seq]

    @staticmethod
    def _lost(packet: _Packet, error: str) -> None:
        if not packet.done:
            packet.error = error
            if not packet.waiter.done():
                packet.waiter.set_result(None)

    # receiving

    def _on_readable(self) -> None:
        recvfrom = self.sock.recvfrom
        for _ in range(READ_BATCH):
            try:
                data, addr = recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                # a datagram socket's pending ICMP error (sk_err), reported once:
                # the details are on the error queue, read below
                continue
            now = time.perf_counter()
            try:
                self._on_packet(data, addr, now)
            except (struct.error, IndexError, ValueError, OSError):
                self.ignored += 1
        if self._recverr:
            # epoll keeps reporting an error queue that is not empty
            self._read_error_queue()

    def _on_packet(self, data: bytes, addr: tuple, now: float) -> None:
        family = self.family
        if self._raw_v4:
            offset = (data[0] & 0x0F) * 4
            source = data[12:16]
        else:
            offset = 0
            source = socket.inet_pton(family, addr[0].partition("%")[0])
        icmp_type = data[offset]
        if icmp_type == _ECHO_REPLY[family]:
            ident, seq = struct.unpack_from("!HH", data, offset + 4)
            packet = self.pending.get(seq)
            if (packet is None or packet.done or ident != self.ident or source != packet.address
                    or data[offset + 8:offset + 24] != packet.token):
                self.ignored += 1
                return
            packet.received = now
            self.replies += 1
            if not packet.waiter.done():
                packet.waiter.set_result(None)
            return
        if (family, icmp_type) not in _ICMP_ERRORS:
            self.ignored += 1
            return
        # an ICMP error (only raw sockets read them here): find the request it quotes
        inner = offset + 8
        if family == socket.AF_INET:
            if data[inner + 9] != socket.IPPROTO_ICMP:
                self.ignored += 1
                return
            destination = data[inner + 16:inner + 20]
            inner += (data[inner] & 0x0F) * 4
        else:
            if data[inner + 6] != socket.IPPROTO_ICMPV6:
                self.ignored += 1
                return
            destination = data[inner + 24:inner + 40]
            inner += 40
        reporter = socket.inet_ntop(family, source)
        self._on_error(data[inner:], destination, describe_icmp_error(family, icmp_type, data[offset + 1],
                                                                      reporter))

    def _on_error(self, quoted: bytes, destination: bytes, message: str) -> None:
        """An ICMP error quoting `quoted` (the echo request's header and data)."""
        if len(quoted) < 8 or quoted[0] != _ECHO_REQUEST[self.family]:
            self.ignored += 1
            return
        ident, seq = struct.unpack_from("!HH", quoted, 4)
        packet = self.pending.get(seq)
        token = quoted[8:24]
        if (packet is None or packet.done or ident != self.ident or destination != packet.address
                or (len(token) == 16 and token != packet.token)):  # routers may quote only 8 bytes
            self.ignored += 1
            return
        self.errors += 1
        self._lost(packet, message)

    def _read_error_queue(self) -> None:
        family = self.family
        for _ in range(READ_BATCH):
            try:
                data, ancdata, _flags, addr = self.sock.recvmsg(RECV_SIZE, 512, socket.MSG_ERRQUEUE)
            except OSError:  # BlockingIOError: empty
                return
            for level, kind, cmsg in ancdata:
                if (level, kind) not in ((socket.SOL_IP, _IP_RECVERR), (_SOL_IPV6, _IPV6_RECVERR)):
                    continue
                if len(cmsg) < 16:
                    continue
                _errno, origin, icmp_type, code = struct.unpack_from("=IBBB", cmsg)
                if origin not in (_SO_EE_ORIGIN_ICMP, _SO_EE_ORIGIN_ICMP6):
                    continue  # a local error (message too long): the send already failed
                reporter = _offender(cmsg[16:], family)
                try:
                    destination = socket.inet_pton(family, addr[0].partition("%")[0])
                except (OSError, TypeError, IndexError):
                    continue
                self._on_error(data, destination, describe_icmp_error(family, icmp_type, code, reporter))

    def close(self) -> None:
        try:
            self.loop.remove_reader(self.sock.fileno())
        except Exception:  # the loop is closed already (a test's loop, a finished CLI run)
            pass
        self.sock.close()
        for packet in list(self.pending.values()):
            self._lost(packet, "the ICMP socket was closed")
        self.pending.clear()

    def stats(self) -> dict[str, Any]:
        return {"kind": self.kind, "ident": self.ident, "pending": len(self.pending), "sent": self.sent,
                "replies": self.replies, "errors": self.errors, "ignored": self.ignored}


def _offender(raw: bytes, family: int) -> str:
    """The address in the sockaddr after a sock_extended_err: who sent the ICMP error."""
    try:
        if family == socket.AF_INET and len(raw) >= 8:
            return socket.inet_ntop(socket.AF_INET, raw[4:8])
        if family == socket.AF_INET6 and len(raw) >= 24:
            return socket.inet_ntop(socket.AF_INET6, raw[8:24])
    except (OSError, ValueError):
        pass
    return "an unknown router"


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


# module state: the sockets of the running loop
_sockets: dict[int, IcmpSocket] = {}
_unavailable: dict[int, str] = {}  # family -> why it has no socket
_loop: asyncio.AbstractEventLoop | None = None
sockets_opened = 0                 # ICMP sockets created over the process's life (tests)
_new_socket = socket.socket        # a seam for tests


class _NoSocket(Exception):
    def __init__(self, reasons: str, missing: bool) -> None:
        super().__init__(reasons)
        self.reasons = reasons   # "ping socket: permission denied; raw socket: operation not permitted"
        self.missing = missing   # the kernel has no such family (IPv6 disabled or not built)


def _open_socket(family: int) -> tuple[socket.socket, str, int]:
    """(socket, "dgram" or "raw", identifier): a ping socket if allowed, else a raw one."""
    global sockets_opened
    proto = _PROTO[family]
    try:
        sock = _new_socket(family, socket.SOCK_DGRAM, proto)
    except OSError as dgram_error:
        try:
            sock = _new_socket(family, socket.SOCK_RAW, proto)
        except OSError as raw_error:
            missing = {errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT}
            raise _NoSocket(f"ping socket: {_reason(dgram_error)}; raw socket: {_reason(raw_error)}",
                            dgram_error.errno in missing or raw_error.errno in missing) from None
        sockets_opened += 1
        try:
            sock.setblocking(False)
            if family == socket.AF_INET:  # pass only echo reply (0), unreachable (3), time exceeded (11)
                blocked = ~((1 << 0) | (1 << 3) | (1 << 11)) & 0xFFFFFFFF
                sock.setsockopt(_SOL_RAW, _ICMP_FILTER, struct.pack("I", blocked))
            else:                         # unreachable (1), time exceeded (3), echo reply (129)
                words = [0xFFFFFFFF] * 8
                for icmp_type in (1, 3, 129):
                    words[icmp_type >> 5] &= ~(1 << (icmp_type & 31)) & 0xFFFFFFFF
                sock.setsockopt(socket.IPPROTO_ICMPV6, _ICMP6_FILTER, struct.pack("8I", *words))
            _set_receive_buffer(sock)
        except OSError as exc:
            sock.close()
            raise _NoSocket(f"raw socket: {_reason(exc)}", False) from None
        return sock, "raw", int.from_bytes(os.urandom(2), "big")
    sockets_opened += 1
    try:
        sock.setblocking(False)
        sock.bind((_ANY[family], 0))  # the kernel picks the identifier now
        if family == socket.AF_INET:
            sock.setsockopt(socket.SOL_IP, _IP_RECVERR, 1)
        else:
            sock.setsockopt(_SOL_IPV6, _IPV6_RECVERR, 1)
        _set_receive_buffer(sock)
        ident = sock.getsockname()[1]
    except OSError as exc:
        sock.close()
        raise _NoSocket(f"ping socket: {_reason(exc)}", exc.errno == errno.EADDRNOTAVAIL) from None
    return sock, "dgram", ident


def _set_receive_buffer(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
    except OSError:
        pass


async def open() -> None:
    """Open the shared sockets (idempotent). Raises ProbeSetupError when IPv4 ICMP is impossible."""
    from upstatd.probes import ProbeSetupError  # the registry imports this module

    global _loop
    loop = asyncio.get_running_loop()
    if _loop is loop and socket.AF_INET in _sockets:
        return
    await close()
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock, kind, ident = _open_socket(family)
        except _NoSocket as exc:
            if family == socket.AF_INET:
                raise ProbeSetupError(f"{SETUP_ERROR} ({exc.reasons})") from None
            why = "IPv6 is not available on this host" if exc.missing else "no ICMPv6 socket could be opened"
            _unavailable[family] = f"{why} ({exc.reasons})"
            continue
        _sockets[family] = IcmpSocket(family, kind, sock, ident, loop)
    _loop = loop


async def close() -> None:
    """Close the shared sockets; probes still waiting count their packets as lost."""
    global _loop
    for icmp_socket in _sockets.values():
        icmp_socket.close()
    _sockets.clear()
    _unavailable.clear()
    _loop = None


def sockets() -> dict[int, IcmpSocket]:
    """The open sockets by family (AF_INET, AF_INET6), for tests and /healthz."""
    return dict(_sockets)


def _reason(exc: OSError) -> str:
    text = os.strerror(exc.errno) if exc.errno else (str(exc) or type(exc).__name__)
    return text[0].lower() + text[1:]


def _opened_on() -> asyncio.AbstractEventLoop | None:
    """The loop the sockets are open on (a probe checks it before awaiting _ensure_open)."""
    return _loop


async def _ensure_open() -> None:
    if _loop is not asyncio.get_running_loop():
        # not opened at start (a test, a one-off run): open now, failing the probe, not the caller
        from upstatd.probes import ProbeSetupError
        try:
            await open()
        except ProbeSetupError as exc:
            raise ProbeError("connection_error", str(exc)) from None


def _socket_for(family: int) -> IcmpSocket:
    icmp_socket = _sockets.get(family)
    if icmp_socket is None:
        raise ProbeError("connection_error", _unavailable.get(
            family, f"no {_FAMILY_NAME[family]} ICMP socket is open"))
    return icmp_socket


__all__ = ["IcmpSocket", "SETUP_ERROR", "checksum", "close", "describe_icmp_error", "open", "sockets"]
