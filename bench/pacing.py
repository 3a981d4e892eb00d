"""Fixed-rate load inside a helper process (floor clients, the blackbox driver).

`run_paced` starts `rate` probes per second, checked every 10 ms (the tick
of upstatd's timer wheel, so both start probes in the same small batches),
for at most `duration` seconds and never more than `max_in_flight` at once.
A pacer that fell behind by more than `MAX_LAG` seconds drops the backlog
(counted as skipped) instead of bursting.

The harness talks to the process on stdin/stdout (see bench.proc.Helper):
one JSON line when ready, one JSON line of counters for every `mark`, and a
last one when it ends, on `stop`, EOF or its own duration.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable

import uvloop

TICK = 0.01
MAX_LAG = 0.1
GRACE = 3.0  # seconds for the last probes to finish


class Counts:
    __slots__ = ("started", "ok", "failed", "skipped", "in_flight")

    def __init__(self) -> None:
        self.started = self.ok = self.failed = self.skipped = self.in_flight = 0

    def snapshot(self) -> dict:
        return {"started": self.started, "ok": self.ok, "failed": self.failed,
                "skipped": self.skipped, "in_flight": self.in_flight, "time": time.time()}


def say(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def read_commands(command: Callable[[str], None], stop: asyncio.Event) -> None:
    """Call `command(line)` for each line the harness writes to stdin; its end sets `stop`."""
    loop = asyncio.get_running_loop()
    buffer = bytearray()

    def readable() -> None:
        data = os.read(0, 4096)
        if not data:
            loop.remove_reader(0)
            stop.set()
            return
        buffer.extend(data)
        while b"\n" in buffer:
            line, _, rest = bytes(buffer).partition(b"\n")
            buffer[:] = rest
            command(line.decode().strip())

    loop.add_reader(0, readable)


def _listen_for_marks(counts: Counts, stop: asyncio.Event) -> None:
    def command(line: str) -> None:
        if line == "mark":
            say(counts.snapshot())
        elif line == "stop":
            stop.set()
    read_commands(command, stop)


async def run_paced(start_one: Callable[[], None], counts: Counts, rate: float, duration: float,
                    max_in_flight: int = 1000, on_tick: Callable[[float], None] | None = None,
                    ready: dict | None = None) -> None:
    """start_one() starts one probe and keeps `counts` (in_flight, ok, failed) itself."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    _listen_for_marks(counts, stop)
    say({"ready": True, **(ready or {})})
    begin = loop.time()
    issued = 0
    while not stop.is_set():
        now = loop.time()
        if now - begin >= duration:
            break
        due = int((now - begin) * rate) - issued
        backlog = max(1, int(rate * MAX_LAG))
        if due > backlog:
            counts.skipped += due - backlog
            issued += due - backlog
            due = backlog
        for _ in range(due):
            issued += 1
            if counts.in_flight >= max_in_flight:
                counts.skipped += 1
                continue
            counts.started += 1
            start_one()
        if on_tick is not None:
            on_tick(now)
        await asyncio.sleep(TICK)  # the rate comes from elapsed time, so sleeps may drift
    end = loop.time() + GRACE
    while counts.in_flight and loop.time() < end:
        if on_tick is not None:
            on_tick(loop.time())
        await asyncio.sleep(0.05)
    say(counts.snapshot())


def run(main) -> None:
    uvloop.run(main)
