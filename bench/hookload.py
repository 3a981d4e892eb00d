"""The webhooks scenario's other side, in its own process (asyncio on uvloop,
no HTTP library): a webhook receiver and the load that makes the events.

    python -m bench.hookload --listen P --daemon D --tokens FILE --rate R [--delay-ms 1] [--ids FILE]

- **Receiver** on 127.0.0.1:P: every POST /hook/<n> is answered `200 ok`
  after `--delay-ms` (the endpoint's own time to answer), keep-alive; it
  counts per endpoint the requests and the connections they came over, and
  keeps their `Upstat-Event-Id`s in arrival order (each mark tells the last;
  all are written to `--ids` as JSON at the end, for the order check).
- **Flips**: between `load` and `quiet`, R pings per second (paced on 10 ms
  ticks, as bench.pacing) to the daemon on 127.0.0.1:D over keep-alive
  connections, round-robin over the heartbeats whose UUIDs are in FILE, each
  heartbeat alternately `/fail` and a success: every ping flips its heartbeat
  (down, up), so each is a heartbeat event and an incident event on the
  daemon's real path. A ping due while every connection waits for an answer
  is skipped and counted.

It talks to the harness like the other helpers (bench.proc.Helper): one JSON
line when ready, one JSON line of counters per `mark`; `load` and `quiet`
start and stop the flips; `stop` or EOF ends it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import uvloop

from bench import pacing

TICK = 0.01
MAX_LAG = 0.1
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class Stats:
    def __init__(self) -> None:
        self.received: dict[str, int] = {}
        self.connections: dict[str, int] = {}
        self.ids: dict[str, list[str]] = {}
        self.pings = self.pings_ok = self.pings_other = self.skipped = self.errors = 0

    def snapshot(self) -> dict:
        return {"received": dict(self.received), "connections": dict(self.connections),
                "last": {path: ids[-1] for path, ids in self.ids.items() if ids},
                "pings": self.pings, "pings_ok": self.pings_ok, "pings_other": self.pings_other,
                "skipped": self.skipped, "errors": self.errors, "time": time.time()}


def _request(buffer: bytearray) -> tuple[bytes, bytes] | None:
    """(head, body) of the first whole request in `buffer` (taken out of it), or None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if len(buffer) < end + 4 + length:
        return None
    body = bytes(buffer[end + 4:end + 4 + length])
    del buffer[:end + 4 + length]
    return head, body


class Hook(asyncio.Protocol):
    """One connection from the daemon: requests in, `200 ok` after the delay, in order."""

    def __init__(self, stats: Stats, delay: float) -> None:
        self.stats, self.delay = stats, delay
        self.buffer = bytearray()
        self.endpoint: str | None = None
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        loop = asyncio.get_running_loop()
        while (request := _request(self.buffer)) is not None:
            head, _ = request
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1].decode()
            event_id = ""
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"upstat-event-id":
                    event_id = value.strip().decode()
            stats = self.stats
            if self.endpoint is None:
                self.endpoint = path
                stats.connections[path] = stats.connections.get(path, 0) + 1
            stats.received[path] = stats.received.get(path, 0) + 1
            stats.ids.setdefault(path, []).append(event_id)
            loop.call_later(self.delay, self._answer)

    def _answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(ANSWER)

    def connection_lost(self, exc) -> None:
        self.transport = None


class Pinger(asyncio.Protocol):
    """One keep-alive connection to the daemon's ping URLs: a request, its whole answer, idle."""

    def __init__(self, stats: Stats, idle: list[Pinger]) -> None:
        self.stats, self.idle = stats, idle
        self.buffer = bytearray()
        self.transport = None
        self.done = False  # closed by us at the end
        self.waiting = False  # a ping sent, its answer not read yet

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.idle.append(self)

    def send(self, request: bytes) -> None:
        self.stats.pings += 1
        self.waiting = True
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (answer := _request(self.buffer)) is not None:  # an answer has the same framing
            status = int(answer[0][9:12])
            if 200 <= status < 300:
                self.stats.pings_ok += 1
            else:
                self.stats.pings_other += 1
            self.waiting = False
            self.idle.append(self)

    def connection_lost(self, exc) -> None:
        if self in self.idle:
            self.idle.remove(self)
        if self.waiting and not self.done:
            self.stats.errors += 1  # closed before the answer (an idle one may time out: the daemon's right)


async def flips(stats: Stats, port: int, tokens: list[str], rate: float, connections: int,
                quiet: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    idle: list[Pinger] = []
    host = f"127.0.0.1:{port}"
    requests = [[f"GET /ping/{token}/fail HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(),
                 f"GET /ping/{token} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()] for token in tokens]
    turns = [0] * len(tokens)
    pingers = [(await loop.create_connection(lambda: Pinger(stats, idle), "127.0.0.1", port))[1]
               for _ in range(connections)]
    begin, issued = loop.time(), 0
    while not quiet.is_set():
        due = int((loop.time() - begin) * rate) - issued
        backlog = max(1, int(rate * MAX_LAG))
        if due > backlog:  # fell behind (a stall): drop the backlog rather than burst
            stats.skipped += due - backlog
            issued += due - backlog
            due = backlog
        for _ in range(due):
            beat = issued % len(tokens)
            issued += 1
            if not idle:
                stats.skipped += 1
                continue
            idle.pop(0).send(requests[beat][turns[beat] % 2])  # round-robin: none idles into a timeout
            turns[beat] += 1
        await asyncio.sleep(TICK)
    for pinger in pingers:
        pinger.done = True
        pinger.transport.close()


def say(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats()
    server = await loop.create_server(lambda: Hook(stats, args.delay_ms / 1000), "127.0.0.1", args.listen,
                                      reuse_address=True)
    tokens = [line.strip() for line in open(args.tokens) if line.strip()]
    stop, quiet = asyncio.Event(), asyncio.Event()
    load: list[asyncio.Task] = []
    def command(line: str) -> None:
        if line == "mark":
            say(stats.snapshot())
        elif line == "load" and not load:
            load.append(loop.create_task(flips(stats, args.daemon, tokens, args.rate, args.connections, quiet)))
        elif line == "quiet":
            quiet.set()
        elif line == "stop":
            stop.set()

    pacing.read_commands(command, stop)
    say({"ready": True, "port": args.listen})
    try:
        await asyncio.wait_for(stop.wait(), args.lifetime)
    except TimeoutError:
        pass
    quiet.set()
    if load:
        try:
            await load[0]
        except Exception as exc:  # connecting to the daemon failed: the harness sees no pings
            print(f"flips: {type(exc).__name__}: {exc}", file=sys.stderr)
    server.close()
    if args.ids:
        with open(args.ids, "w") as f:
            json.dump(stats.ids, f)
    say(stats.snapshot())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.hookload")
    parser.add_argument("--listen", type=int, required=True, help="the receiver's port")
    parser.add_argument("--daemon", type=int, required=True, help="the daemon's port (ping URLs)")
    parser.add_argument("--tokens", required=True, help="heartbeat UUIDs, one a line")
    parser.add_argument("--rate", type=float, required=True, help="flipping pings per second")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--delay-ms", type=float, default=1.0, help="the receiver's time to answer")
    parser.add_argument("--ids", default="", help="write the event ids received per endpoint here")
    parser.add_argument("--lifetime", type=float, default=900.0, help="seconds before it ends by itself")
    uvloop.run(main(parser.parse_args()))
