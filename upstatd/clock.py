"""Clocks. Scheduling reads `monotonic()`; stored timestamps read `time()`;
waits that belong to the clock's time (an outbox retry's backoff) are
`await clock.sleep(seconds)`.

Every time-dependent component takes a clock, so tests drive it with
FakeClock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time as _time


class Clock:
    def monotonic(self) -> float:
        return _time.monotonic()

    def time(self) -> float:
        return _time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock(Clock):
    def __init__(self, start: float = 1_000.0, wall: float = 1_700_000_000.0) -> None:
        self._mono = start
        self._offset = wall - start
        self._sleepers: list[tuple[float, asyncio.Future]] = []  # (monotonic deadline, its waiter)

    def monotonic(self) -> float:
        return self._mono

    def time(self) -> float:
        return self._mono + self._offset

    async def sleep(self, seconds: float) -> None:
        """Returns once advance() moved the clock `seconds` on (at once for 0 or less)."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        entry = (self._mono + seconds, asyncio.get_running_loop().create_future())
        self._sleepers.append(entry)
        try:
            await entry[1]
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    @property
    def sleeping(self) -> int:
        """How many sleep() calls are waiting for the clock to move."""
        return sum(1 for _, waiter in self._sleepers if not waiter.done())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._mono += seconds
        for deadline, waiter in list(self._sleepers):
            if deadline <= self._mono and not waiter.done():
                waiter.set_result(None)

    def set_wall(self, wall: float) -> None:
        """Set the wall clock (NTP, an admin), backwards too; monotonic time is untouched."""
        self._offset = wall - self._mono
