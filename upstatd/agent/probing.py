"""The agent's monitors at run time: the assignment's monitors built as the daemon
builds them (monitors/specs.build), probed with its probe code (probes.run_probe) on
its phase grid (monitors/service.phase_offset, next_slot), in the daemon's wall time.

Slots are wall seconds of the daemon's clock, `phase + k * interval`: the daemon judges
ownership (`since <= slot < until`) and splits a region's monitors between agents by
them, so every agent must name a slot as the daemon does, whatever its own clock says.
`daemon_time()` is our clock plus the offset measured at the last pull, kept within
what each push answer's `server_time` allows (agent/client.py refine_offset).

Two kinds of timer on the shared Runner, keyed by the monitor's id: `agent.slot` (the
grid, armed only at slots this agent owns) and `agent.recheck` (off the grid, while
the local evaluation says a change is unconfirmed, as the daemon re-checks). The local
state is evaluated only to know when to re-check; the daemon confirms for itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import structlog

from upstatd.clock import Clock
from upstatd.config.check import dotted
from upstatd.config.schema import MonitorSpec
from upstatd.monitors.evaluate import MonitorState, evaluate
from upstatd.monitors.service import next_slot, phase_offset
from upstatd.monitors.specs import build
from upstatd.probes import run_probe
from upstatd.probes.result import ProbeResult
from upstatd.regions import split
from upstatd.regions.protocol import AssignedMonitor
from upstatd.scheduler.runner import Runner

log = structlog.get_logger("upstatd.agent")


def owns(since: float | None, until: float | None, slot: float) -> bool:
    """since <= slot < until; None is open on that side: the daemon's rule (regions/split.py)."""
    return split.covers(split.Window("", since, until), slot)


def first_owned_slot(after: float, phase: float, interval: float, since: float | None,
                     until: float | None) -> float | None:
    """The first grid slot strictly after `after` that is owned, or None (all before `since`
    are skipped; none at or past `until`)."""
    slot = next_slot(after, phase, interval)
    if since is not None and slot < since:
        slot = phase + math.ceil((since - phase) / interval) * interval
        if slot < since:  # float rounding
            slot += interval
    return slot if until is None or slot < until else None


class Assigned:
    """One assigned monitor as the agent runs it."""

    __slots__ = ("id", "monitor", "spec", "since", "until", "phase", "state", "slot")

    def __init__(self, item: AssignedMonitor, spec: MonitorSpec) -> None:
        self.id = item.id
        self.monitor = item.monitor
        self.spec = spec
        self.since, self.until = item.since, item.until
        self.phase = phase_offset(spec.key, spec.interval)
        self.state = MonitorState()          # pending: only to know when to re-check
        self.slot: float | None = None       # the daemon-time slot the agent.slot timer is armed for


Add = Callable[[str, float | None, float, ProbeResult], None]


class AgentMonitors:
    def __init__(self, clock: Clock, runner: Runner, add: Add, offset: float = 0.0) -> None:
        self.clock = clock
        self.runner = runner
        self.add = add                   # Outbox.add(monitor_id, slot, at, result)
        self.offset = offset             # the daemon's wall time minus ours
        self.slots = runner.timers("agent.slot", self._on_slot)
        self.rechecks = runner.timers("agent.recheck", self._on_recheck)
        self.monitors: dict[str, Assigned] = {}

    def daemon_time(self) -> float:
        return self.clock.time() + self.offset

    @staticmethod
    def kinds(items: Iterable[AssignedMonitor]) -> set[str]:
        """The probe types an assignment uses (their shared resources open first)."""
        return {item.monitor.get("type") for item in items if isinstance(item.monitor.get("type"), str)}

    def apply(self, items: Iterable[AssignedMonitor]) -> dict[str, int]:
        """Make the running monitors match the assignment, as the daemon's reload does:
        unchanged ones keep their timers, changed ones keep their state."""
        items = {item.id: item for item in items}
        counts = {"added": 0, "changed": 0, "removed": 0, "unchanged": 0, "invalid": 0}
        for monitor_id in [key for key in self.monitors if key not in items]:
            self.remove(monitor_id)
            counts["removed"] += 1
        for monitor_id, item in items.items():
            current = self.monitors.get(monitor_id)
            if current is not None and current.monitor == item.monitor:
                if (current.since, current.until) == (item.since, item.until):
                    counts["unchanged"] += 1
                    continue
                current.since, current.until = item.since, item.until
                self._arm(current, self.daemon_time())
                counts["changed"] += 1
                continue
            spec, problems = build(item.monitor)
            if spec is None:
                log.error("agent.monitor_invalid", monitor_id=monitor_id,
                          errors=[f"{dotted(path) or '(monitor)'}: {message}" for path, message in problems])
                if current is not None:
                    self.remove(monitor_id)
                counts["invalid"] += 1
                continue
            running = Assigned(item, spec)
            if current is not None:
                running.state = current.state
                counts["changed"] += 1
            else:
                counts["added"] += 1
            self.monitors[monitor_id] = running
            self._arm(running, self.daemon_time())
        return counts

    def remove(self, monitor_id: str) -> None:
        self.monitors.pop(monitor_id, None)  # a result still in flight is still pushed
        self.slots.cancel(monitor_id)
        self.rechecks.cancel(monitor_id)

    def _arm(self, running: Assigned, after: float) -> None:
        """The next owned slot after `after` (daemon time), as a monotonic timer."""
        slot = first_owned_slot(after, running.phase, running.spec.interval, running.since, running.until)
        running.slot = slot
        if slot is None:
            self.slots.cancel(running.id)
            return
        self.slots.schedule(running.id, self.clock.monotonic() + (slot - self.daemon_time()))

    def _on_slot(self, key: str, when: float, now: float) -> None:
        running = self.monitors.get(key)
        if running is None or running.slot is None:
            return
        slot = running.slot
        daemon_now = self.daemon_time()
        behind = daemon_now - slot
        if behind > running.spec.interval:
            self.runner.stats.skipped_late += int(behind // running.spec.interval)
        # the grid goes on whatever happens to this probe (a stall: from now, not replayed)
        self._arm(running, max(slot, daemon_now))
        if owns(running.since, running.until, slot) and self.runner.launch(
                key, lambda: self._probe(running, slot)):
            self.rechecks.cancel(key)  # this probe is the re-check; its result decides the next

    def _on_recheck(self, key: str, when: float, now: float) -> None:
        running = self.monitors.get(key)
        if running is not None and owns(running.since, running.until, self.daemon_time()):
            self.runner.launch(key, lambda: self._probe(running, None))

    async def _probe(self, running: Assigned, slot: float | None) -> None:
        spec = running.spec
        result = await run_probe(spec.type, spec.target, spec.timeout, self.runner.deadlines)
        self.record(running, slot, result)

    def record(self, running: Assigned, slot: float | None, result: ProbeResult) -> None:
        at = self.daemon_time()
        self.add(running.id, slot, at, result)
        if self.monitors.get(running.id) is not running:
            return  # removed or replaced while the probe ran: its result still counts, its state not
        confirmation = running.spec.confirmation
        outcome = evaluate(running.state, result.outcome, at, confirmation)
        running.state = outcome.state
        if outcome.recheck:
            self.rechecks.schedule(running.id, self.clock.monotonic() + confirmation.recheck)
        else:
            self.rechecks.cancel(running.id)
