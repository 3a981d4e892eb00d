"""Monitors at run time: schedule on a stable phase grid, probe, evaluate,
store, and apply a reloaded config without touching unchanged monitors."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable

import msgspec
import structlog

from upstatd.clock import Clock
from upstatd.config.schema import MonitorSpec
from upstatd.monitors.evaluate import MonitorState, evaluate
from upstatd.probes import run_probe
from upstatd.probes.result import ProbeResult
from upstatd.scheduler.runner import Runner
from upstatd.store.monitors import INSERT_STATE_CHANGE, SET_STATE, StoredMonitor
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.monitors")


class Running:
    """One monitor as the daemon runs it. Replaced, not mutated, when its spec changes."""

    __slots__ = ("spec", "seq", "id", "state", "phase")

    def __init__(self, spec: MonitorSpec, stored: StoredMonitor) -> None:
        self.spec = spec
        self.seq = stored.seq
        self.id = stored.id
        self.state = MonitorState(stored.state, stored.since)
        self.phase = phase_offset(spec.key, spec.interval)


def phase_offset(key: str, interval: float) -> float:
    """A stable offset inside the interval, so monitors sharing an interval are
    spread evenly instead of firing together, and keep their slot across restarts."""
    return (zlib.crc32(key.encode()) % max(1, round(interval * 1000))) / 1000


def next_slot(after: float, phase: float, interval: float) -> float:
    """The first time strictly after `after` on the grid phase + k * interval."""
    return phase + (math.floor((after - phase) / interval) + 1) * interval


class MonitorService:
    def __init__(self, clock: Clock, runner: Runner, writer: Writer) -> None:
        self.clock = clock
        self.runner = runner
        self.writer = writer
        self.monitors: dict[str, Running] = {}

    def apply(self, specs: Iterable[MonitorSpec], stored: dict[str, StoredMonitor]) -> dict[str, int]:
        """Make the running set match `specs`; unchanged monitors keep everything."""
        specs = {spec.key: spec for spec in specs}
        counts = {"added": 0, "changed": 0, "removed": self.retain(specs), "unchanged": 0}
        now = self.clock.monotonic()
        for key, spec in specs.items():
            current = self.monitors.get(key)
            if current is not None and current.spec == spec:
                counts["unchanged"] += 1
                continue
            running = Running(spec, stored[key])
            if current is not None:
                running.state = current.state  # a changed spec keeps its confirmed state
                counts["changed"] += 1
            else:
                counts["added"] += 1
            self.monitors[key] = running
            self.runner.schedule(key, next_slot(now, running.phase, spec.interval))
        return counts

    def retain(self, keys) -> int:
        """Stop every monitor whose key is not in `keys`; returns how many stopped."""
        gone = [key for key in self.monitors if key not in keys]
        for key in gone:
            del self.monitors[key]  # a result still in flight is dropped on arrival
            self.runner.cancel(key)
        return len(gone)

    def on_due(self, key: str, when: float, now: float) -> None:
        running = self.monitors.get(key)
        if running is None:
            return
        interval = running.spec.interval
        behind = now - when
        if behind > interval:
            self.runner.stats.skipped_late += int(behind // interval)
        # The grid goes on whatever happens to this probe; a re-check may come sooner.
        self.runner.schedule(key, next_slot(now, running.phase, interval))
        self.runner.launch(key, lambda: self._probe(running))

    async def _probe(self, running: Running) -> None:
        spec = running.spec
        result = await run_probe(spec.type, spec.target, spec.timeout)
        self.record(running, result)

    def record(self, running: Running, result: ProbeResult) -> None:
        key = running.spec.key
        if self.monitors.get(key) is not running:
            return  # removed or replaced while the probe ran
        now = self.clock.time()
        outcome = evaluate(running.state, result.outcome, now, running.spec.confirmation)
        running.state = outcome.state
        now_ms = round(now * 1000)
        phases = result.phases
        check_seq = self.writer.add_check((
            running.seq, now_ms, int(result.ok), outcome.state.state, round(result.latency_ms * 1000),
            result.status_code, result.error_kind, result.error_message,
            _us(phases.get("resolve")), _us(phases.get("connect")), _us(phases.get("tls")),
            _us(phases.get("first_byte")), _us(phases.get("transfer")),
            msgspec.json.encode(result.details).decode() if result.details else None,
        ))
        if outcome.transition is not None:
            before, after = outcome.transition
            self.writer.add(SET_STATE, (after, now_ms, running.seq))
            self.writer.add(INSERT_STATE_CHANGE, (running.seq, now_ms, before, after, check_seq,
                                                  result.error_kind, result.error_message))
            log.info("monitor.state_changed", monitor=key, from_state=before, to_state=after,
                     error_kind=result.error_kind, error=result.error_message)
        elif result.error_kind is not None:
            log.debug("monitor.check_failed", monitor=key, outcome=result.outcome,
                      error_kind=result.error_kind, error=result.error_message)
        if outcome.recheck:
            soon = self.clock.monotonic() + running.spec.confirmation.recheck
            scheduled = self.runner.wheel.when(key)
            if scheduled is None or soon < scheduled:
                self.runner.schedule(key, soon)


def _us(ms: float | None) -> int | None:
    return None if ms is None else round(ms * 1000)
