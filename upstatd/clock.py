"""Clocks. Scheduling reads `monotonic()`; stored timestamps read `time()`.

Every time-dependent component takes a clock, so tests drive it with
FakeClock instead of sleeping.
"""

from __future__ import annotations

import time as _time


class Clock:
    def monotonic(self) -> float:
        return _time.monotonic()

    def time(self) -> float:
        return _time.time()


class FakeClock(Clock):
    def __init__(self, start: float = 1_000.0, wall: float = 1_700_000_000.0) -> None:
        self._mono = start
        self._offset = wall - start

    def monotonic(self) -> float:
        return self._mono

    def time(self) -> float:
        return self._mono + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._mono += seconds

    def set_wall(self, wall: float) -> None:
        """Set the wall clock (NTP, an admin), backwards too; monotonic time is untouched."""
        self._offset = wall - self._mono
