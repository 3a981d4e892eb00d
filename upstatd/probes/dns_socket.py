"""The DNS sockets: one UDP socket per nameserver, shared by every DNS monitor asking it.

dns.py holds the config and the probe; this module holds what the probes
share: the socket of each nameserver (address, port), the table of queries in
flight on it, and the reading that matches answers to those queries
(DESIGN.md: one socket per probe does not scale; ICMP shares its sockets the
same way, see icmp_socket).

Sockets. A nameserver's socket is opened on its first query and kept until
`close()` at stop (or until the loop it was opened on is gone: a test, a
one-off run); past MAX_IDLE_SOCKETS nameservers, opening one more closes
the sockets with no query in flight, so descriptors follow the nameservers
in use, not all those ever asked. It is not connected, so every datagram sent to its port is
read, and those that do not come from the nameserver's address and port are
counted as ignored, as are the others that match no query.

Ids. Each query on a socket gets a random 16-bit id (from os.urandom, to
resist spoofing), drawn again while it is in flight on that socket, so
concurrent queries to one nameserver never share one.

Matching. A datagram answers a query only if it comes from the nameserver's
address and port, carries the query's id, has QR set and opcode QUERY, and
repeats the question (name without regard to case, type and class), or has
no question with FORMERR, SERVFAIL, NOTIMP or REFUSED (as dnspython's
is_response allows). Anything else -- a stray answer, a late duplicate, a
spoofed one -- is dropped and counted. A datagram from the nameserver with
the id of a query in flight but too short to hold the question is the
nameserver's own broken answer: it ends that query, and the probe reports
what dnspython says of it (invalid_response).

Bounds. Reads go into one 64 KiB buffer per socket, at most READ_BATCH per
readiness callback (a flood cannot hold the loop), and nothing is kept of a
datagram that answers no query. Every probe removes its query from the table
when it ends, however it ends (run_probe's deadline cancels it).
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

MAX_IDLE_SOCKETS = 256       # past this many sockets, one opening closes those with nothing in flight
READ_BATCH = 256              # datagrams read per readiness callback, to stay fair to the loop
RECV_SIZE = 65535             # the largest UDP payload; one buffer per socket
RECV_BUFFER = 1024 * 1024     # bursts of answers; the kernel caps it at net.core.rmem_max
_RANDOM_POOL = 4096           # bytes of os.urandom drawn at once for ids (two per id)

# rcodes that may come without the question (dnspython's is_response)
_NO_QUESTION_OK = frozenset((1, 2, 4, 5))  # FORMERR, SERVFAIL, NOTIMP, REFUSED


class Query:
    """One query in flight: what its answer must repeat, and the future the answer goes to."""

    __slots__ = ("question", "waiter")

    def __init__(self, question: bytes, waiter: asyncio.Future) -> None:
        self.question = question  # the wire question: name (lower case), type, class
        self.waiter = waiter      # result: the answer's bytes


class DnsSocket:
    """The UDP socket of one nameserver, shared by every probe of the process that asks it."""

    def __init__(self, address: str, port: int, loop: asyncio.AbstractEventLoop) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setblocking(False)
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
            except OSError:
                pass
            self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
            # the canonical text recvfrom reports the nameserver's address in; a scope
            # (fe80::1%eth0) is compared without, as recvfrom may name it another way
            unscoped, _, scope = address.partition("%")
            self.address = socket.inet_ntop(family, socket.inet_pton(family, unscoped))
            self._scoped = bool(scope)
            self.port = port
            if scope:
                index = int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
                self.sockaddr: tuple = (unscoped, port, 0, index)
            else:
                self.sockaddr = (address, port)
            self.loop = loop
            self.pending: dict[int, Query] = {}
            self._buffer = bytearray(RECV_SIZE)
            self._view = memoryview(self._buffer)
            self._random = b""
            self._random_at = 0
            # counters, for tests and /healthz
            self.sent = 0
            self.answers = 0              # datagrams matched to a query in flight
            self.ignored = 0              # everything else read from the socket
            loop.add_reader(self.sock.fileno(), self._on_readable)
        except BaseException:
            self.sock.close()
            raise

    # sending

    def send(self, query_tail: bytes, question: bytes) -> tuple[int, Query]:
        """Send the query (its wire form without the id) under a fresh id; raises OSError
        when the kernel refuses it."""
        if len(self.pending) >= 0xFFFF:
            raise OSError(0, f"too many queries in flight to {self.address} (65535)")
        qid = self._new_id()
        while qid in self.pending:
            qid = self._new_id()
        self.sock.sendto(qid.to_bytes(2, "big") + query_tail, self.sockaddr)
        query = Query(question, self.loop.create_future())
        self.pending[qid] = query
        self.sent += 1
        return qid, query

    def forget(self, qid: int, query: Query) -> None:
        if self.pending.get(qid) is query:
            del self.pending[qid]

    def _new_id(self) -> int:
        at = self._random_at
        if at >= len(self._random):
            self._random, at = os.urandom(_RANDOM_POOL), 0
        self._random_at = at + 2
        return int.from_bytes(self._random[at:at + 2], "big")

    # receiving

    def _on_readable(self) -> None:
        recvfrom_into, view = self.sock.recvfrom_into, self._view
        for _ in range(READ_BATCH):
            try:
                size, addr = recvfrom_into(self._buffer)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # a pending error reported once (a port unreachable seen on this socket)
            source = addr[0].partition("%")[0] if self._scoped else addr[0]
            if size < 12 or addr[1] != self.port or source != self.address:
                if size >= 2 and addr[1] == self.port and source == self.address:
                    self._on_short(view, size)
                else:
                    self.ignored += 1
                continue
            qid = (view[0] << 8) | view[1]
            query = self.pending.get(qid)
            if query is None or query.waiter.done() or not self._answers(view, size, query):
                self.ignored += 1
                continue
            self.answers += 1
            query.waiter.set_result(bytes(view[:size]))

    def _answers(self, view: memoryview, size: int, query: Query) -> bool:
        """Whether the datagram (its id matched) answers the query; a short one does (broken)."""
        flags = view[2]
        if not flags & 0x80 or flags & 0x78:  # not a response, or an opcode other than QUERY
            return False
        qdcount = (view[4] << 8) | view[5]
        if qdcount == 0:
            return view[3] & 0x0F in _NO_QUESTION_OK
        question = query.question
        end = 12 + len(question)
        if size < end:
            return qdcount == 1  # cut short in the question: the nameserver's broken answer
        name_end = end - 4
        return (qdcount == 1 and bytes(view[12:name_end]).lower() == question[:-4]
                and view[name_end:end] == question[-4:])

    def _on_short(self, view: memoryview, size: int) -> None:
        """A datagram from the nameserver shorter than a header: the broken answer of the
        query whose id it carries, if one is in flight."""
        query = self.pending.get((view[0] << 8) | view[1])
        if query is None or query.waiter.done():
            self.ignored += 1
            return
        self.answers += 1
        query.waiter.set_result(bytes(view[:size]))

    def close(self) -> None:
        try:
            self.loop.remove_reader(self.sock.fileno())
        except Exception:  # the loop is closed already (a test's loop, a finished CLI run)
            pass
        self.sock.close()
        for query in self.pending.values():
            if not query.waiter.done():
                query.waiter.set_exception(OSError(0, "the DNS socket was closed"))
        self.pending.clear()

    def stats(self) -> dict[str, Any]:
        return {"nameserver": f"{self.address}:{self.port}", "pending": len(self.pending), "sent": self.sent,
                "answers": self.answers, "ignored": self.ignored}


# module state: the sockets of the running loop, by (address, port)
_sockets: dict[tuple[str, int], DnsSocket] = {}
_loop: asyncio.AbstractEventLoop | None = None


async def open() -> None:
    """Start with no sockets on the running loop (each opens on its nameserver's first query)."""
    global _loop
    loop = asyncio.get_running_loop()
    if _loop is not loop:
        await close()
        _loop = loop


async def close() -> None:
    """Close the sockets; probes still waiting end with a connection_error."""
    global _loop
    for dns_socket in _sockets.values():
        dns_socket.close()
    _sockets.clear()
    _loop = None


def socket_for(address: str, port: int) -> DnsSocket:
    """The nameserver's socket on the running loop, opened now if need be (raises OSError)."""
    global _loop
    dns_socket = _sockets.get((address, port))
    if dns_socket is not None and _loop is dns_socket.loop:
        return dns_socket
    loop = asyncio.get_running_loop()
    if _loop is not loop:  # not opened at start (a test, a one-off run), or another loop's
        for old in _sockets.values():
            old.close()
        _sockets.clear()
        _loop = loop
    elif len(_sockets) >= MAX_IDLE_SOCKETS:
        # monitors of many nameservers (made and dropped over the API): one descriptor per
        # nameserver in use, not per nameserver ever asked
        for key, idle in [(key, idle) for key, idle in _sockets.items() if not idle.pending]:
            idle.close()
            del _sockets[key]
    dns_socket = _sockets[(address, port)] = DnsSocket(address, port, loop)
    return dns_socket


def sockets() -> dict[tuple[str, int], DnsSocket]:
    """The open sockets by (address, port), for tests and /healthz."""
    return dict(_sockets)


__all__ = ["DnsSocket", "close", "open", "socket_for", "sockets"]
