"""Floor clients: the least work one probe of a type can be, on the daemon's
stack (asyncio on uvloop), each run in its own process so its CPU is read
from /proc like the daemon's.

    http   connect, write a GET, read the status line, close (a protocol on
           loop.create_connection, no parser, no timers)
    tcp    connect, close
    icmp   one echo request on one raw socket (a ping socket without root),
           replies matched by sequence
    dns    one A query on one connected UDP socket, answers matched by id

    python -m bench.floors KIND --port P --rate R --duration D

Each process is paced by bench.pacing (10 ms ticks, bounded backlog) and
answers the harness's `mark` with its counters.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import struct

from bench import pacing

REPLY_TIMEOUT = 2.0  # an ICMP or DNS request not answered by then is failed


def http_client(host: str, port: int, counts: pacing.Counts):
    loop = asyncio.get_running_loop()
    request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()

    class Probe(asyncio.Protocol):
        __slots__ = ("transport", "done")

        def connection_made(self, transport) -> None:
            self.transport = transport
            self.done = False
            transport.write(request)

        def data_received(self, data: bytes) -> None:
            if not self.done:
                self.done = True
                if data[9:13] == b"200 ":
                    counts.ok += 1
                else:
                    counts.failed += 1
                self.transport.close()

        def connection_lost(self, exc) -> None:
            counts.in_flight -= 1
            if not self.done:
                counts.failed += 1

    async def one() -> None:
        try:
            await loop.create_connection(Probe, host, port)
        except OSError:
            counts.in_flight -= 1
            counts.failed += 1

    def start_one() -> None:
        counts.in_flight += 1
        loop.create_task(one())

    return start_one, None


def tcp_client(host: str, port: int, counts: pacing.Counts):
    loop = asyncio.get_running_loop()

    async def one() -> None:
        try:
            transport, _ = await loop.create_connection(asyncio.Protocol, host, port)
            transport.close()
            counts.ok += 1
        except OSError:
            counts.failed += 1
        finally:
            counts.in_flight -= 1

    def start_one() -> None:
        counts.in_flight += 1
        loop.create_task(one())

    return start_one, None


def _expire(pending: dict, counts: pacing.Counts, now: float) -> None:
    if pending and now - next(iter(pending.values())) > REPLY_TIMEOUT:
        for key, sent in list(pending.items()):
            if now - sent <= REPLY_TIMEOUT:
                break
            del pending[key]
            counts.in_flight -= 1
            counts.failed += 1


def icmp_client(host: str, port: int, counts: pacing.Counts):
    loop = asyncio.get_running_loop()
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        raw = True
        # ICMP_FILTER (SOL_RAW 255, option 1): block every type but echo reply (0),
        # so our own requests seen on loopback are not read back.
        sock.setsockopt(255, 1, struct.pack("I", 0xFFFFFFFF & ~1))
    except PermissionError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        raw = False  # a ping socket: the kernel sets the identifier and the checksum
    sock.setblocking(False)
    ident = os.getpid() & 0xFFFF
    payload = b"upstatd-bench-fl"
    pending: dict[int, float] = {}  # sequence -> time sent, oldest first
    seq = 0

    def start_one() -> None:
        nonlocal seq
        seq = (seq + 1) & 0xFFFF
        while seq in pending:
            seq = (seq + 1) & 0xFFFF
        packet = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
        total = sum(struct.unpack("!12H", packet))
        total = (total >> 16) + (total & 0xFFFF)
        total += total >> 16
        packet = packet[:2] + struct.pack("!H", ~total & 0xFFFF) + packet[4:]
        counts.in_flight += 1
        try:
            sock.sendto(packet, (host, 0))
        except OSError:
            counts.in_flight -= 1
            counts.failed += 1
            return
        pending[seq] = loop.time()

    def readable() -> None:
        while True:
            try:
                data = sock.recv(2048)
            except BlockingIOError:
                return
            if raw:
                data = data[(data[0] & 0x0F) * 4:]
            if len(data) < 8 or data[0] != 0:
                continue
            their_ident, their_seq = struct.unpack_from("!HH", data, 4)
            if raw and their_ident != ident:
                continue
            if pending.pop(their_seq, None) is not None:
                counts.in_flight -= 1
                counts.ok += 1

    loop.add_reader(sock.fileno(), readable)
    return start_one, lambda now: _expire(pending, counts, now)


def dns_query(name: str) -> bytes:
    """An A query with recursion desired and EDNS (1232 bytes), as the daemon sends; id 0."""
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return struct.pack("!HHHHHH", 0, 0x0100, 1, 0, 0, 1) + question + struct.pack("!HH", 1, 1) + opt


def dns_client(host: str, port: int, counts: pacing.Counts, name: str = "bench.test"):
    loop = asyncio.get_running_loop()
    query = dns_query(name)[2:]
    pending: dict[int, float] = {}
    state = {"id": 0, "transport": None}

    class Answers(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr) -> None:
            if len(data) < 12:
                return
            (qid,) = struct.unpack_from("!H", data)
            if pending.pop(qid, None) is None:
                return
            counts.in_flight -= 1
            if data[3] & 0x0F == 0 and data[6:8] != b"\0\0":  # NOERROR with an answer
                counts.ok += 1
            else:
                counts.failed += 1

    def start_one() -> None:
        qid = state["id"]
        while qid in pending:
            qid = (qid + 1) & 0xFFFF
        state["id"] = (qid + 1) & 0xFFFF
        counts.in_flight += 1
        pending[qid] = loop.time()
        state["transport"].sendto(struct.pack("!H", qid) + query)

    async def open_socket() -> None:
        state["transport"], _ = await loop.create_datagram_endpoint(Answers, remote_addr=(host, port))

    return start_one, lambda now: _expire(pending, counts, now), open_socket


CLIENTS = {"http": http_client, "tcp": tcp_client, "icmp": icmp_client, "dns": dns_client}


async def main(args: argparse.Namespace) -> None:
    counts = pacing.Counts()
    start_one, on_tick, *setup = CLIENTS[args.kind](args.host, args.port, counts)
    for step in setup:
        await step()
    await pacing.run_paced(start_one, counts, args.rate, args.duration, args.max_in_flight, on_tick,
                           ready={"kind": args.kind})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.floors")
    parser.add_argument("kind", choices=sorted(CLIENTS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--max-in-flight", type=int, default=1000)
    pacing.run(main(parser.parse_args()))
