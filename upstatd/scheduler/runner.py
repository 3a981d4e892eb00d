"""Runs the timer wheel on the event loop and launches due work.

Timers come in named kinds (`monitor.slot`, `heartbeat.deadline`, ...): an
owner registers a kind with its handler and gets a `Timers`, through which it
schedules, cancels and reads its own keys. Each kind is its own key space on
the one wheel (the wheel's key is (kind, key)), so the same key in two kinds
is two timers, and a due timer goes to its kind's handler and no other.

One task ticks the wheel every `tick` seconds and hands each due timer to its
handler. `launch` starts a job under two rules: a key is never run twice at
once, and no more than `max_in_flight` jobs run in total. What cannot start is
skipped and counted, never queued: a loop that fell behind must not burst.

`deadlines` puts a job's deadline on the same wheel (run_probe's, for every
probe the runner launches): arming and disarming one are a few dict writes,
where a loop timer per probe was made and cancelled again for nearly every
probe. A deadline fires within one tick after its time.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass, field

import structlog

from upstatd.clock import Clock
from upstatd.scheduler.wheel import TimerWheel

log = structlog.get_logger("upstatd.scheduler")


@dataclass(slots=True)
class SchedulerStats:
    due: int = 0                # timers that fired
    launched: int = 0           # jobs started
    skipped_late: int = 0       # slots passed over because the loop was behind
    skipped_busy: int = 0       # the previous job of the key was still running
    skipped_capacity: int = 0   # max_in_flight reached
    lateness: deque = field(default_factory=lambda: deque(maxlen=50_000))  # seconds, recent
    lateness_max: float = 0.0

    def snapshot(self) -> dict:
        recent = sorted(self.lateness)

        def pct(p: float) -> float:
            return round(recent[min(len(recent) - 1, int(p * len(recent)))] * 1000, 2) if recent else 0.0

        return {
            "due": self.due, "launched": self.launched, "skipped_late": self.skipped_late,
            "skipped_busy": self.skipped_busy, "skipped_capacity": self.skipped_capacity,
            "lateness_ms": {"p50": pct(0.50), "p99": pct(0.99), "max": round(self.lateness_max * 1000, 2)},
        }


Handler = Callable[[Hashable, float, float], None]  # (key, when, now)


class Timers:
    """One kind's timers: schedule, cancel and read keys of this kind only."""

    __slots__ = ("kind", "_wheel")

    def __init__(self, kind: str, wheel: TimerWheel) -> None:
        self.kind = kind
        self._wheel = wheel

    def schedule(self, key: Hashable, when: float) -> None:
        """Fire `key` at `when`, replacing any earlier schedule of it in this kind."""
        self._wheel.schedule((self.kind, key), when)

    def cancel(self, key: Hashable) -> bool:
        return self._wheel.cancel((self.kind, key))

    def when(self, key: Hashable) -> float | None:
        return self._wheel.when((self.kind, key))


class Deadlines:
    """Deadlines of running tasks on the runner's wheel: `arm` one for the current task,
    `disarm` it when the work ends; one that comes first cancels the task."""

    __slots__ = ("_clock", "_timers", "_tasks", "_next")

    def __init__(self, runner: Runner) -> None:
        self._clock = runner.clock
        self._timers = runner.timers("task.deadline", self._expire)
        self._tasks: dict[int, asyncio.Task] = {}
        self._next = 0

    def arm(self, seconds: float) -> int:
        """Cancel the current task `seconds` from now, unless disarmed before; returns its key."""
        key = self._next = self._next + 1
        self._tasks[key] = asyncio.current_task()
        self._timers.schedule(key, self._clock.monotonic() + seconds)
        return key

    def disarm(self, key: int) -> bool:
        """Take the deadline out; False if it had already passed (and cancelled the task)."""
        if self._tasks.pop(key, None) is None:
            return False
        self._timers.cancel(key)
        return True

    def _expire(self, key: int, when: float, now: float) -> None:
        task = self._tasks.pop(key, None)
        if task is not None:
            task.cancel()


class Runner:
    def __init__(self, clock: Clock, *, max_in_flight: int = 1000, tick: float = 0.01) -> None:
        self.clock = clock
        self.max_in_flight = max_in_flight
        self.wheel = TimerWheel(clock.monotonic(), tick)
        self.stats = SchedulerStats()
        self.last_tick_at = clock.monotonic()
        self._in_flight: dict[Hashable, asyncio.Task] = {}
        self._accepting = True
        self._capacity_warned_at = -math.inf
        self._handlers: dict[str, Handler] = {}
        self.deadlines = Deadlines(self)

    def timers(self, kind: str, handler: Handler) -> Timers:
        """Register a kind of timer; `handler(key, when, now)` gets its due keys."""
        if kind in self._handlers:
            raise ValueError(f"timer kind {kind!r} is already registered")
        self._handlers[kind] = handler
        return Timers(kind, self.wheel)

    def busy(self, key: Hashable) -> bool:
        return key in self._in_flight

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def launch(self, key: Hashable, job: Callable[[], Coroutine]) -> bool:
        if not self._accepting:
            return False
        if key in self._in_flight:
            self.stats.skipped_busy += 1
            return False
        if len(self._in_flight) >= self.max_in_flight:
            self.stats.skipped_capacity += 1
            now = self.clock.monotonic()
            if now - self._capacity_warned_at > 60:
                self._capacity_warned_at = now
                log.warning("scheduler.at_capacity", max_in_flight=self.max_in_flight,
                            skipped_total=self.stats.skipped_capacity)
            return False
        self._in_flight[key] = asyncio.get_running_loop().create_task(self._run(key, job()))
        self.stats.launched += 1
        return True

    async def _run(self, key: Hashable, job: Coroutine) -> None:
        # The job's own end takes it out of the map: no done callback (and the loop
        # iteration that runs it) per job.
        try:
            await job
        except Exception as exc:
            log.error("scheduler.job_failed", key=str(key), error=repr(exc))
        finally:
            self._in_flight.pop(key, None)

    def fire(self, now: float) -> int:
        """Hand every timer due by `now` to its kind's handler; returns how many fired."""
        due = self.wheel.advance(now)
        stats = self.stats
        handlers = self._handlers
        for (kind, key), when in due:
            late = now - when
            stats.due += 1
            stats.lateness.append(late)
            if late > stats.lateness_max:
                stats.lateness_max = late
            handlers[kind](key, when, now)
        self.last_tick_at = now
        return len(due)

    async def run(self) -> None:
        """Tick until cancelled (after drain): while a stop drains, nothing is launched, but
        the running probes' deadlines (task.deadline) still fire and end them as timeouts."""
        tick = self.wheel.tick
        while True:
            now = self.clock.monotonic()
            self.fire(now)
            # A plain tick: the wheel works from absolute times, so drift costs nothing,
            # and aiming at tick boundaries woke uvloop (1 ms timers) twice as often.
            await asyncio.sleep(tick)

    def stop_launching(self) -> None:
        self._accepting = False

    async def drain(self, timeout: float) -> int:
        """Wait for running jobs; cancel what is left after `timeout`. Returns how many were cancelled."""
        tasks = list(self._in_flight.values())
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        return len(pending)
