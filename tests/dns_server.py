"""A DNS server on loopback for tests: UDP and TCP on one port, answers from a dict.

    server = await start_dns()                      # 127.0.0.1, a free port
    server.records[("example.com", "A")] = ["192.0.2.1", "192.0.2.2"]
    server.rcode = "SERVFAIL"                       # every answer carries this rcode, no records
    server.silent = True                            # queries are read and never answered
    server.truncate_udp = True                      # UDP answers: TC set, no records; TCP: full
    server.delay = 1.0                              # seconds before each answer goes out
    server.queries == {"udp": 1, "tcp": 0}          # queries seen, per transport
    await server.close()

Records: (name, type) -> rdata texts as in a zone file, names without the
trailing dot ("10 mail.example.com"); a TXT value is one quoted or unquoted
string. A name with records of another type answers NOERROR with no records
(NODATA); a name with no records at all, NXDOMAIN. A CNAME is followed
within the dict, the way a recursive resolver puts the chain in the answer.
A UDP answer larger than the query's EDNS payload (512 without EDNS) is
truncated as a real server does: TC set, answer section empty.

Also: `.last_query` (the dns.message of the last query), `.udp_clients`
(source addresses of UDP queries), `.tcp_open` (TCP connections not yet
closed by the client), `.url_host` / `.address` for configs.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TTL = 60


class DnsServer:
    def __init__(self, records: dict[tuple[str, str], list[str]] | None = None) -> None:
        self.records: dict[tuple[str, str], list[str]] = dict(records or {})
        self.rcode: str | int | None = None
        self.silent = False
        self.truncate_udp = False
        self.delay = 0.0
        self.queries = {"udp": 0, "tcp": 0}
        self.last_query: dns.message.Message | None = None
        self.udp_clients: list[tuple] = []
        self.tcp_open = 0
        self.host = "127.0.0.1"
        self.port = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task] = set()

    @property
    def address(self) -> str:
        """host:port for `dns.nameserver` ([::1]:port for IPv6)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1") -> DnsServer:
        self.host = host
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for _ in range(20):  # the UDP side of a free TCP port may be taken: try another
            self._tcp = await asyncio.start_server(self._serve_tcp, host, 0, family=family)
            self.port = self._tcp.sockets[0].getsockname()[1]
            try:
                self._udp, _ = await loop.create_datagram_endpoint(
                    lambda: _Udp(self), local_addr=(host, self.port), family=family)
                return self
            except OSError:
                self._tcp.close()
                await self._tcp.wait_closed()
        raise RuntimeError("no port free for both UDP and TCP")

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._connections):
                writer.close()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._tcp.wait_closed()

    async def wait_tcp_closed(self, timeout: float = 2.0) -> None:
        """Until the client closed every TCP connection (raises TimeoutError)."""
        async with asyncio.timeout(timeout):
            while self.tcp_open:
                await asyncio.sleep(0.005)

    # -- answering ---------------------------------------------------------------

    def answer(self, query: dns.message.Message, transport: str) -> bytes | None:
        """The wire answer to `query` (None when silent); counts the query."""
        self.queries[transport] += 1
        self.last_query = query
        if self.silent:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if self.rcode is not None:
            rcode = self.rcode if isinstance(self.rcode, int) else dns.rcode.from_text(self.rcode)
            response.set_rcode(rcode)
            return response.to_wire()
        question = query.question[0]
        response.set_rcode(self._fill(response, question.name, question.rdtype))
        if transport == "udp":
            limit = query.payload if query.edns >= 0 else 512
            try:
                wire = response.to_wire(max_size=limit)
            except dns.exception.TooBig:
                wire = None
            if self.truncate_udp or wire is None:
                response.answer = []
                response.flags |= dns.flags.TC
                return response.to_wire()
            return wire
        return response.to_wire(max_size=65535)

    def _fill(self, response: dns.message.Message, qname: dns.name.Name, rdtype: int) -> int:
        name = qname.to_text(omit_final_dot=True).lower()
        type_text = dns.rdatatype.to_text(rdtype)
        for _ in range(10):  # a CNAME chain, at most this long
            values = self.records.get((name, type_text))
            if values:
                response.answer.append(_rrset(name, type_text, values))
                return dns.rcode.NOERROR
            target = self.records.get((name, "CNAME"))
            if not target or rdtype == dns.rdatatype.CNAME:
                break
            response.answer.append(_rrset(name, "CNAME", target))
            name = target[0].rstrip(".").lower()
        exists = any(owner == name for owner, _ in self.records)
        return dns.rcode.NOERROR if exists or response.answer else dns.rcode.NXDOMAIN

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.tcp_open += 1
        self._connections.add(writer)
        self._handlers.add(asyncio.current_task())
        try:
            while True:
                try:
                    size = struct.unpack("!H", await reader.readexactly(2))[0]
                    wire = await reader.readexactly(size)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                answer = self.answer(dns.message.from_wire(wire), "tcp")
                if answer is None:
                    continue  # silent: keep reading until the client gives up
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(struct.pack("!H", len(answer)) + answer)
                await writer.drain()
        finally:
            self.tcp_open -= 1
            self._connections.discard(writer)
            self._handlers.discard(asyncio.current_task())
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.server.udp_clients.append(addr)
        answer = self.server.answer(dns.message.from_wire(data), "udp")
        if answer is None:
            return
        if self.server.delay:
            asyncio.get_running_loop().call_later(self.server.delay, self._send, answer, addr)
        else:
            self._send(answer, addr)

    def _send(self, answer: bytes, addr) -> None:
        if not self.transport.is_closing():
            self.transport.sendto(answer, addr)


def _rrset(name: str, type_text: str, values: list[str]) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(dns.name.from_text(name), TTL, dns.rdataclass.IN,
                                    dns.rdatatype.from_text(type_text), values,
                                    origin=dns.name.root, relativize=False)


async def start_dns(host: str = "127.0.0.1",
                    records: dict[tuple[str, str], list[str]] | None = None) -> DnsServer:
    return await DnsServer(records).start(host)


# -- a scripted UDP nameserver ------------------------------------------------------------

class _Scripted(asyncio.DatagramProtocol):
    def __init__(self, handler) -> None:
        self.handler = handler
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.handler(data, addr, self.transport)


async def start_udp(handler, host: str = "127.0.0.1") -> tuple[asyncio.DatagramTransport, int]:
    """A bare UDP endpoint on loopback: `handler(data, addr, transport)` answers each datagram as
    the test wants (several datagrams, wrong ones, none). Returns (transport, port)."""
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Scripted(handler), local_addr=(host, 0))
    return transport, transport.get_extra_info("sockname")[1]


def a_answer(query: dns.message.Message, *addresses: str, name: str | None = None) -> dns.message.Message:
    """The answer to an A query with these addresses (for `name`, the query's by default)."""
    response = dns.message.make_response(query)
    owner = dns.name.from_text(name) if name else query.question[0].name
    if name:
        response.question = [dns.rrset.RRset(owner, dns.rdataclass.IN, dns.rdatatype.A)]
    if addresses:
        response.answer.append(dns.rrset.from_text_list(owner, TTL, dns.rdataclass.IN, dns.rdatatype.A,
                                                        list(addresses)))
    return response
