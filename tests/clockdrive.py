"""Driving the in-process daemon (start_api) on a FakeClock: a TCP target on
loopback taken up and down, one probe at a time, the clock moved to a wall time
with the timers due by then fired and their writes committed."""

from __future__ import annotations

import asyncio
import time

from loopback import closed_port


class Target:
    """A TCP port on 127.0.0.1 that accepts connections while `up`."""

    def __init__(self) -> None:
        self.port = closed_port()
        self.server: asyncio.AbstractServer | None = None

    async def up(self) -> None:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()
        self.server = await asyncio.start_server(accept, "127.0.0.1", self.port, reuse_address=True)

    async def down(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


async def wait_for(predicate, timeout: float = 5.0) -> None:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.005)


async def probe(api, key: str) -> float:
    """Move the clock to the monitor's next due time (slot or re-check), let that probe
    run and its writes commit; -> the wall time it ran at."""
    runner, monitors = api.daemon.runner, api.daemon.monitors
    timer = min((t for t in (monitors.slots, monitors.rechecks) if t.when(key) is not None),
                key=lambda t: t.when(key))
    due = timer.when(key)
    api.clock.advance(max(0.0, due - api.clock.monotonic()) + runner.wheel.tick)
    at = api.clock.time()
    await wait_for(lambda: timer.when(key) != due and not runner.busy(key))
    await api.daemon.writer.flush()
    return at


async def move_to(api, wall: float) -> None:
    """Move the clock to `wall` (and two ticks past it: the wheel fires a timer once the end of
    its tick has passed, and a float may put that end a hair after one tick): timers due by then
    fire, their writes commit."""
    runner = api.daemon.runner
    api.clock.advance(max(0.0, wall - api.clock.time()) + 2 * runner.wheel.tick)
    target = api.clock.monotonic()
    await wait_for(lambda: runner.last_tick_at >= target)  # the runner ticked past it: timers handled
    await asyncio.sleep(0.01)  # and what they launched ran
    await api.daemon.writer.flush()
