"""The ping load when wrk is not installed: the same mix as bench/pings.lua
from a Python client (asyncio on uvloop, one protocol per keep-alive
connection, no HTTP library), in its own process.

    python -m bench.pingload --port P --tokens FILE --connections C --seconds S [--seed N] [--close]

Each connection pings, waits for the whole answer, and pings again until S
seconds have passed; then it closes, so nothing is in flight at the end. It
prints one line, "BENCH-JSON {...}", shaped like the wrk script's.

It shares the machine's two cores with the daemon and costs more CPU per
request than wrk, so its rate says less about the daemon: the harness
reports it, but does not judge the target on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time

import uvloop

BODY = b"backup done: 1234 files, 56 MiB, 0 errors\n"
POOL = 4096
CONNECT_TIMEOUT = 5.0
ANSWER_TIMEOUT = 10.0  # a ping not answered by then is an error (wrk's --timeout)


def make_pool(tokens: list[str], port: int, seed: int, close: bool = False) -> list[bytes]:
    """The mix of bench/pings.lua: 1 in 20 /start, 1 in 20 /fail, 1 in 4 a POST with a body;
    `close`: each with `Connection: close` (a new connection per ping, as curl from cron)."""
    rng = random.Random(seed)
    host = f"127.0.0.1:{port}" + ("\r\nConnection: close" if close else "")
    pool = []
    for _ in range(POOL):
        path = "/ping/" + rng.choice(tokens)
        action = rng.randrange(20)
        path += "/start" if action == 0 else "/fail" if action == 1 else ""
        if rng.randrange(4) == 0:
            pool.append(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\n"
                        f"Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY)
        else:
            pool.append(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return pool


class Stats:
    def __init__(self) -> None:
        self.sent = self.ok = self.other = 0
        self.errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
        self.latency_us: list[int] = []


class Pinger(asyncio.Protocol):
    """One keep-alive connection: a request, its whole answer, the next request."""

    def __init__(self, pool: list[bytes], offset: int, stats: Stats, deadline: float,
                 finished: asyncio.Future, once: bool = False) -> None:
        self.pool, self.i, self.stats, self.deadline, self.finished = pool, offset, stats, deadline, finished
        self.once = once  # one ping, then the connection ends (the daemon closes it)
        self.buffer = b""
        self.started = 0.0
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.send()

    def send(self) -> None:
        if time.monotonic() >= self.deadline:
            self.transport.close()
            return
        self.i = (self.i + 1) % len(self.pool)
        self.stats.sent += 1
        self.started = time.perf_counter()
        self.transport.write(self.pool[self.i])

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        self.buffer = self.buffer[end + 4 + length:]
        self.stats.latency_us.append(round((time.perf_counter() - self.started) * 1e6))
        status = int(head[9:12])
        if 200 <= status < 300:
            self.stats.ok += 1
        else:
            self.stats.other += 1
            if status > 399:
                self.stats.errors["status"] += 1
        if not self.once:
            self.send()

    def connection_lost(self, exc) -> None:
        if not self.finished.done():
            self.finished.set_result(exc)


async def connection(port: int, pool: list[bytes], offset: int, stats: Stats, deadline: float,
                     close: bool = False) -> None:
    """One keep-alive connection; `close`: one connection after another, a ping on each."""
    if not close:
        await _connection(port, pool, offset, stats, deadline, False)
        return
    while time.monotonic() < deadline:
        await _connection(port, pool, offset, stats, deadline, True)
        offset += 1


async def _connection(port: int, pool: list[bytes], offset: int, stats: Stats, deadline: float,
                      once: bool) -> None:
    loop = asyncio.get_running_loop()
    finished = loop.create_future()
    try:
        transport, protocol = await asyncio.wait_for(
            loop.create_connection(lambda: Pinger(pool, offset, stats, deadline, finished, once), "127.0.0.1",
                                   port), CONNECT_TIMEOUT)
    except (OSError, TimeoutError):
        stats.errors["connect"] += 1
        return
    try:
        exc = await asyncio.wait_for(finished, deadline - time.monotonic() + ANSWER_TIMEOUT)
    except TimeoutError:
        stats.errors["timeout"] += 1
        transport.abort()
        return
    if exc is not None or protocol.buffer:  # reset, or closed in the middle of an answer
        stats.errors["read"] += 1


async def main(args: argparse.Namespace) -> dict:
    tokens = [line.strip() for line in open(args.tokens) if line.strip()]
    pool = make_pool(tokens, args.port, args.seed, args.close)
    stats = Stats()
    began = time.monotonic()
    deadline = began + args.seconds
    await asyncio.gather(*(connection(args.port, pool, i * (POOL // args.connections), stats, deadline, args.close)
                           for i in range(args.connections)))
    seconds = time.monotonic() - began
    lat = sorted(stats.latency_us) or [0]

    def pct(p: float) -> int:
        return lat[min(len(lat) - 1, int(len(lat) * p / 100))]

    return {"sent": stats.sent, "ok": stats.ok, "other": stats.other, "requests": stats.ok + stats.other,
            "duration_us": round(seconds * 1e6), "errors": stats.errors,
            "latency_us": {"p50": pct(50), "p90": pct(90), "p99": pct(99), "max": lat[-1],
                           "mean": round(sum(lat) / len(lat), 1)}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.pingload")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--close", action="store_true", help="a new connection per ping (Connection: close)")
    result = uvloop.run(main(parser.parse_args()))
    print("BENCH-JSON " + json.dumps(result), flush=True)
    sys.exit(0)
