"""A hashed timer wheel: O(1) schedule and cancel, cost per tick bounded by
the timers hashed into one slot.

Pure: it never reads a clock. The caller passes `now` to `advance`, which
returns every timer whose time has come, oldest first, and never one early:
a timer for `when` sits in the tick ceil(when / tick) and that tick is only
processed once `now` has reached its end. (In floating point the tick is the
first index above every time before `when`: 0.03 / 0.01 and
0.030000000000000002 / 0.01 are both 3.0, so a timer for the second goes in
tick 4, or `now` = 0.03 would fire it early.)
"""

from __future__ import annotations

import math
from collections.abc import Hashable


class TimerWheel:
    __slots__ = ("tick", "_size", "_slots", "_where", "_current")

    def __init__(self, now: float, tick: float = 0.01, slots: int = 4096) -> None:
        if tick <= 0 or slots < 1:
            raise ValueError("tick and slots must be positive")
        self.tick = tick
        self._size = slots
        # slot -> {key: (tick index, when)}; a slot holds every timer whose
        # tick index is congruent to it, whatever the round.
        self._slots: list[dict[Hashable, tuple[int, float]]] = [{} for _ in range(slots)]
        self._where: dict[Hashable, int] = {}
        self._current = math.floor(now / tick)  # last tick processed

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._where

    def schedule(self, key: Hashable, when: float) -> None:
        """Fire `key` at `when` (replacing any earlier schedule of it)."""
        index = max(math.floor(math.nextafter(when, -math.inf) / self.tick) + 1, self._current + 1)
        old = self._where.get(key)
        if old is not None:
            del self._slots[old % self._size][key]
        self._slots[index % self._size][key] = (index, when)
        self._where[key] = index

    def cancel(self, key: Hashable) -> bool:
        index = self._where.pop(key, None)
        if index is None:
            return False
        del self._slots[index % self._size][key]
        return True

    def when(self, key: Hashable) -> float | None:
        index = self._where.get(key)
        return None if index is None else self._slots[index % self._size][key][1]

    def advance(self, now: float) -> list[tuple[Hashable, float]]:
        """Pop and return (key, when) for every timer due by `now`."""
        target = math.floor(now / self.tick)
        if target <= self._current:
            return []
        first = self._current + 1
        # Far behind (a stalled loop): one pass over every slot is enough.
        indices = range(first, target + 1) if target - first < self._size else range(self._size)
        due: list[tuple[Hashable, float]] = []
        for index in indices:
            slot = self._slots[index % self._size]
            if not slot:
                continue
            fired = [key for key, (at, _) in slot.items() if at <= target]
            for key in fired:
                due.append((key, slot.pop(key)[1]))
                del self._where[key]
        self._current = target
        due.sort(key=lambda item: item[1])
        return due
