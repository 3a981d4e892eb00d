"""Monitors at run time: schedule on a stable phase grid, probe, evaluate,
store, and apply a reloaded config without touching unchanged monitors.

Monitors are keyed by their spec's `key`: the YAML key for config monitors,
the id (`mon_…`) for monitors made over the API. A config reload only ever
adds, changes or stops config monitors. A paused monitor stays in the map
(its state is still known) but is not probed; while it has a `resume_at`,
it resumes by itself then.

Three kinds of timer, each keyed by the monitor's key: `monitor.slot` (the
phase grid, armed while active), `monitor.recheck` (off the grid, while the
last result disagrees with the confirmed state) and `monitor.resume` (the
`resume_at` of a paused monitor). A re-check never moves the grid slot.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
import structlog

from upstatd.clock import Clock
from upstatd.events import EventBus, StateChanged, Subject
from upstatd.config.schema import MonitorSpec
from upstatd.incidents.service import IncidentService
from upstatd.monitors import public
from upstatd.monitors.evaluate import (MAINTENANCE, MonitorState, Outcome, Transition, enter_maintenance, evaluate,
                                      leave_maintenance)
from upstatd.probes import run_probe
from upstatd.probes.result import ProbeResult
from upstatd.regions import quorum as quorums
from upstatd.scheduler.runner import Runner
from upstatd.store.agents import UPSERT_MONITOR_REGION
from upstatd.store.monitors import (INSERT_STATE_CHANGE, SET_STATE, MonitorRow, StoredMonitor, resume_statements,
                                    spec_document)
from upstatd.store.checks import INSERT_IN_REGION, CheckLog
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.monitors")


class Running:
    """One monitor as the daemon runs it. Replaced, not mutated, when its spec changes."""

    __slots__ = ("spec", "seq", "id", "state", "phase", "managed_by", "paused", "resume_at", "stored",
                 "last_check_at", "last_check", "before_maintenance", "regional", "local")

    def __init__(self, spec: MonitorSpec, stored: StoredMonitor, managed_by: str = "config") -> None:
        self.spec = spec
        self.stored = stored  # created_at, updated_at, paused_at for the public shape
        self.seq = stored.seq
        self.id = stored.id
        self.state = MonitorState(stored.state, stored.since)
        self.phase = phase_offset(spec.key, spec.interval)
        self.managed_by = managed_by
        self.paused = stored.status == "paused"
        self.resume_at = stored.resume_at if self.paused else None  # wall seconds
        self.last_check_at: int | None = None  # Unix ms of its latest result this run
        # its latest check row this run, as record() built it for the store (µs latency and phases,
        # details as JSON): what /metrics reads; keeping it costs the probe path one slot assignment
        self.last_check: tuple | None = None
        self.before_maintenance: str | None = None  # the state it went into maintenance with
        # Probed from more than the daemon's own region (or not from it): each region's own
        # confirmed state, the monitor's judged by quorum (regions/quorum.py). None: the
        # daemon's region only, and `state` is that region's, as before regions existed.
        self.regional: dict[str, Regional] | None = None
        self.local = True  # the daemon probes it itself

    def keep(self, current: Running) -> None:
        """What a replaced monitor carries over: its confirmed state and latest check (and
        the states of the regions it is still probed from)."""
        self.state = current.state
        self.last_check_at = current.last_check_at
        self.last_check = current.last_check
        self.before_maintenance = current.before_maintenance
        if self.regional is not None and current.regional is not None:
            for name, regional in current.regional.items():
                if name in self.regional:
                    self.regional[name] = regional


class Regional:
    """A monitor in one region: the region's confirmed state and its latest result."""

    __slots__ = ("state", "last_at", "latency_ms", "error_kind", "error_message")

    def __init__(self, state: MonitorState) -> None:
        self.state = state
        self.last_at: float | None = None     # wall seconds of its latest result
        self.latency_ms: float | None = None
        self.error_kind: str | None = None
        self.error_message: str | None = None


def phase_offset(key: str, interval: float) -> float:
    """A stable offset inside the interval, so monitors sharing an interval are
    spread evenly instead of firing together, and keep their slot across restarts."""
    return (zlib.crc32(key.encode()) % max(1, round(interval * 1000))) / 1000


def next_slot(after: float, phase: float, interval: float) -> float:
    """The first time strictly after `after` on the grid phase + k * interval."""
    return phase + (math.floor((after - phase) / interval) + 1) * interval


class MonitorService:
    def __init__(self, clock: Clock, runner: Runner, writer: Writer, checks: CheckLog, bus: EventBus,
                 incidents: IncidentService, own_region: str | None = "local") -> None:
        self.clock = clock
        self.own_region = own_region  # server.region; None: the daemon probes nothing itself
        # Whether a region's results count now (its agents up: regions/service.py sets it);
        # the daemon's own region always counts.
        self.region_up: Callable[[str], bool] = lambda name: True
        self.region_numbers: dict[str, int] = {}  # name -> the number check rows carry
        self.stored_regions: dict[int, dict[str, tuple[str, int]]] = {}  # monitor seq -> region -> (state, ms)
        self.changes = 0  # counts changes to what runs (the regions service rebuilds assignments on it)
        self.runner = runner
        self.slots = runner.timers("monitor.slot", self._on_slot)
        self.rechecks = runner.timers("monitor.recheck", self._on_recheck)
        self.resumes = runner.timers("monitor.resume", self._on_resume)
        self.writer = writer
        self.checks = checks
        self.bus = bus                # state changes become events, in the same commit
        self.incidents = incidents    # and open or resolve incidents, in the same commit
        self.monitors: dict[str, Running] = {}
        self.by_id: dict[str, Running] = {}  # mon_… -> the running monitor (alerts look it up)
        # Pauses and resumes of monitors not running yet (the API answers a moment
        # before the daemon has loaded the monitors): applied when they are.
        self._early: dict[str, tuple[bool, float | None]] = {}

    def apply(self, specs: Iterable[MonitorSpec], stored: dict[str, StoredMonitor]) -> dict[str, int]:
        """Make the running config monitors match `specs`; unchanged monitors keep everything."""
        specs = {spec.key: spec for spec in specs}
        counts = {"added": 0, "changed": 0, "removed": self.retain(specs), "unchanged": 0}
        now = self.clock.monotonic()
        for key, spec in specs.items():
            current = self.monitors.get(key)
            if current is not None and current.spec == spec:
                counts["unchanged"] += 1
                continue
            running = self._paused_early(self._running(spec, stored[key]))
            if current is not None:
                running.keep(current)  # a changed spec keeps its confirmed state
                counts["changed"] += 1
            else:
                counts["added"] += 1
            self.monitors[key] = running
            self.by_id[running.id] = running
            self._arm(running, next_slot(now, running.phase, spec.interval))
        if counts["added"] or counts["changed"] or counts["removed"]:
            self.changes += 1
        return counts

    def regions_of(self, spec: MonitorSpec) -> tuple[str, ...]:
        """Where a monitor is probed from: its `regions`, else the daemon's own."""
        if spec.regions is not None:
            return spec.regions
        return () if self.own_region is None else (self.own_region,)

    def _running(self, spec: MonitorSpec, stored: StoredMonitor, managed_by: str = "config") -> Running:
        running = Running(spec, stored, managed_by)
        regions = self.regions_of(spec)
        running.local = self.own_region in regions
        if regions != (self.own_region,):
            known = self.stored_regions.get(running.seq, {})
            running.regional = {}
            for name in regions:
                state, since_ms = known.get(name, ("pending", round(running.state.since * 1000)))
                regional = running.regional[name] = Regional(MonitorState(state, since_ms / 1000))
                if name in known:
                    # As confirmed before a stop, it counts for one freshness window from now, as
                    # an agent heard from before the stop counts as up (regions/service.load):
                    # else the first region to push its spool after a restart is judged alone.
                    regional.last_at = self.clock.time()
        return running

    def retain(self, keys) -> int:
        """Stop every config monitor whose key is not in `keys`; returns how many stopped."""
        gone = [key for key, running in self.monitors.items()
                if running.managed_by == "config" and key not in keys]
        for key in gone:
            self.remove(key)
        return len(gone)

    # -- one monitor at a time (the API) ---------------------------------------------

    def put(self, spec: MonitorSpec, stored: StoredMonitor, managed_by: str = "api",
            probe_soon: bool = True) -> Running:
        """Start a monitor, or replace a running one (which keeps its confirmed state).
        With `probe_soon`, the first probe comes within half a second (spread by the
        monitor's phase, so a burst of creations does not probe in one tick)."""
        current = self.monitors.get(spec.key)
        running = self._paused_early(self._running(spec, stored, managed_by))
        if current is not None:
            running.keep(current)
        self.monitors[spec.key] = running
        self.by_id[running.id] = running
        self.changes += 1
        now = self.clock.monotonic()
        first = now + (running.phase % 1.0) / 2 if probe_soon else next_slot(now, running.phase, spec.interval)
        self._arm(running, first)
        return running

    def remove(self, key: str) -> bool:
        running = self.monitors.pop(key, None)  # a result still in flight is dropped on arrival
        self.changes += 1
        if running is not None and self.by_id.get(running.id) is running:
            del self.by_id[running.id]
        for timers in (self.slots, self.rechecks, self.resumes):
            timers.cancel(key)
        return running is not None

    def pause(self, key: str, resume_at: float | None, stored: StoredMonitor | None = None) -> None:
        """Stop probing; with `resume_at` (wall seconds), resume by itself then."""
        self._set_paused(key, True, resume_at, stored)

    def resume(self, key: str, stored: StoredMonitor | None = None) -> None:
        """Probe again: the first probe within half a second, then on the grid."""
        self._set_paused(key, False, None, stored)

    def _set_paused(self, key: str, paused: bool, resume_at: float | None, stored: StoredMonitor | None) -> None:
        running = self.monitors.get(key)
        if running is None:
            self._early[key] = (paused, resume_at)
            return
        running.stored = stored or running.stored
        self.changes += 1
        running.paused = paused
        running.resume_at = resume_at
        self._arm(running, None if paused else self.clock.monotonic() + (running.phase % 1.0) / 2)

    def _paused_early(self, running: Running) -> Running:
        if self._early:
            early = self._early.pop(running.spec.key, None)
            if early is not None:
                running.paused, running.resume_at = early
        return running

    def set_covered(self, ids: set[str], at: float) -> None:
        """The monitors a maintenance window covers now (maintenance/service.py): each one
        entering or leaving shows it, as a state change row (uptime leaves maintenance out)
        and no event or incident: `maintenance.started`/`ended` tell of it."""
        for running in list(self.by_id.values()):
            if (running.id in ids) != (running.state.state == MAINTENANCE):
                self._maintenance(running, running.id in ids, at)

    def _maintenance(self, running: Running, on: bool, now: float) -> None:
        if on:
            running.before_maintenance = running.state.state
            running.state, (before, after) = enter_maintenance(running.state, now)
        else:
            running.state, (before, after) = leave_maintenance(running.before_maintenance, now)
            running.before_maintenance = None
        now_ms = round(now * 1000)
        self.writer.add(SET_STATE, (after, now_ms, running.seq))
        self.writer.add(INSERT_STATE_CHANGE, (running.seq, now_ms, before, after, None, None, None))
        self.rechecks.cancel(running.spec.key)
        log.info("monitor.state_changed", monitor=running.spec.key, from_state=before, to_state=after,
                 reason="maintenance")

    def snapshot(self, running: Running) -> MonitorRow:
        """The monitor as its row would read now (for the public shape of its events:
        the probe path reads no database)."""
        spec, stored = running.spec, running.stored
        return MonitorRow(
            running.seq, running.id, spec.key if running.managed_by == "config" else None, running.managed_by,
            spec.name, spec.type, spec.url, round(spec.interval * 1000), round(spec.timeout * 1000),
            spec_document(spec), "paused" if running.paused else "active", running.state.state,
            round(running.state.since * 1000), stored.paused_at if running.paused else None,
            None if running.resume_at is None else round(running.resume_at * 1000), spec.metadata,
            stored.created_at, stored.updated_at, running.last_check_at, stored.group_id)

    def _arm(self, running: Running, first: float | None) -> None:
        """Active: on the grid from `first` (a pending re-check stays: the state is
        kept across a spec change). Paused: no probes, only the resume_at if any."""
        key = running.spec.key
        if not running.paused:
            self.resumes.cancel(key)
            if running.local:  # else only agents probe it
                self.slots.schedule(key, first)
            else:  # no longer probed here (its regions changed): no slot or re-check of the old grid
                self.slots.cancel(key)
                self.rechecks.cancel(key)
            return
        self.slots.cancel(key)
        self.rechecks.cancel(key)
        if running.resume_at is None:
            self.resumes.cancel(key)
        else:
            self.resumes.schedule(key, self._monotonic(running.resume_at))

    def _monotonic(self, wall: float) -> float:
        return self.clock.monotonic() + (wall - self.clock.time())

    def _on_slot(self, key: str, when: float, now: float) -> None:
        running = self.monitors.get(key)
        if running is None or running.paused:
            return
        interval = running.spec.interval
        behind = now - when
        if behind > interval:
            self.runner.stats.skipped_late += int(behind // interval)
        self._probe_on_grid(running, now)

    def _on_recheck(self, key: str, when: float, now: float) -> None:
        running = self.monitors.get(key)
        if running is not None and not running.paused:
            self.runner.launch(key, lambda: self._probe(running))

    def _on_resume(self, key: str, when: float, now: float) -> None:
        running = self.monitors.get(key)
        if running is None or not running.paused or running.resume_at is None:
            return
        wall = self.clock.time()
        if wall + self.runner.wheel.tick < running.resume_at:  # the wall clock was set back
            self.resumes.schedule(key, self._monotonic(running.resume_at))
            return
        self._resume_by_itself(running, wall)
        if running.local:
            self._probe_on_grid(running, now)  # a resume_at passed while stopped is no lateness

    def _probe_on_grid(self, running: Running, now: float) -> None:
        key = running.spec.key
        # The grid goes on whatever happens to this probe.
        self.slots.schedule(key, next_slot(now, running.phase, running.spec.interval))
        if self.runner.launch(key, lambda: self._probe(running)):
            self.rechecks.cancel(key)  # this probe is the re-check; its result decides the next

    def _resume_by_itself(self, running: Running, wall: float) -> None:
        wall_ms = round(wall * 1000)
        for sql, params in resume_statements(running.seq, wall_ms):
            self.writer.add(sql, params)
        running.paused = False
        running.resume_at = None
        self.changes += 1
        running.stored = running.stored._replace(status="active", resume_at=None, paused_at=None, updated_at=wall_ms)
        log.info("monitor.resumed", monitor=running.spec.key, id=running.id, reason="resume_at")
        self.bus.emit("monitor.unpaused", msgspec.to_builtins(public.monitor_object(self.snapshot(running))), wall,
                      {"reason": "resume_at"})

    async def _probe(self, running: Running) -> None:
        spec = running.spec
        result = await run_probe(spec.type, spec.target, spec.timeout, self.runner.deadlines)
        self.record(running, result)

    def record(self, running: Running, result: ProbeResult, region: str | None = None,
               at: float | None = None) -> None:
        """One result: from the daemon's own probe (`region` None), or pushed by an agent of
        `region`, probed `at` (wall seconds)."""
        key = running.spec.key
        if self.monitors.get(key) is not running or running.paused:
            return  # removed, replaced or paused while the probe ran
        now = self.clock.time() if at is None else at
        recheck = False
        if running.state.state == MAINTENANCE:  # stored, weighing nothing (evaluate.enter_maintenance)
            outcome = Outcome(running.state, None, False)
        elif running.regional is None:
            outcome = evaluate(running.state, result.outcome, now, running.spec.confirmation)
            recheck = outcome.recheck
        else:
            outcome, recheck = self._weigh(running, region or self.own_region, result, now)
        running.state = outcome.state
        now_ms = round(now * 1000)
        phases = result.phases
        details = msgspec.json.encode(result.details).decode() if result.details else None
        row = (running.seq, now_ms, int(result.ok), outcome.state.state, round(result.latency_ms * 1000),
               result.status_code, result.error_kind, result.error_message,
               _us(phases.get("resolve")), _us(phases.get("connect")), _us(phases.get("tls")),
               _us(phases.get("first_byte")), _us(phases.get("transfer")), details)
        if region is None or region == self.own_region:
            check_seq = self.checks.add(row)
        else:
            check_seq = self.checks.add(row, INSERT_IN_REGION, self.region_numbers[region])
        running.last_check_at = now_ms
        running.last_check = row
        if outcome.transition is not None:
            # as the checks list reads it (store/uptime.py CHECK_COLUMNS), the region's name last
            check_row = (check_seq, *row[1:], None if region == self.own_region else region)
            self._change(running, outcome.transition, now, check_seq, check_row, result.error_kind,
                         result.error_message)
        elif result.error_kind is not None:
            log.debug("monitor.check_failed", monitor=key, outcome=result.outcome, region=region,
                      error_kind=result.error_kind, error=result.error_message)
        if recheck:  # off the grid; a slot that comes first probes instead
            self.rechecks.schedule(key, self.clock.monotonic() + running.spec.confirmation.recheck)

    def _change(self, running: Running, transition: Any, now: float, check_seq: int | None,
                check_row: tuple | None, error_kind: str | None, error_message: str | None) -> None:
        """A confirmed change of the monitor's state: its row, its event and its incident, queued
        in this order (one commit)."""
        before, after = transition
        now_ms = round(now * 1000)
        self.writer.add(SET_STATE, (after, now_ms, running.seq))
        self.writer.add(INSERT_STATE_CHANGE, (running.seq, now_ms, before, after, check_seq, error_kind,
                                              error_message))
        regions = self.seen(running, after, now)
        log.info("monitor.state_changed", monitor=running.spec.key, from_state=before, to_state=after,
                 error_kind=error_kind, error=error_message, **({"regions": regions} if regions else {}))
        change = StateChanged(Subject("monitor", running.id, running.spec.name, running.spec.severity),
                              before, after, now, None, error_kind, error_message, regions)
        # The Structs themselves: the outbox row encodes them straight to JSON.
        extra: dict[str, Any] = {"previous_attributes": {"current_state": before}}
        if check_row is not None:
            extra["check"] = public.check_object(check_row, running.id, self.own_region)
        if regions:
            extra["regions"] = list(regions)
        self.bus.emit(change.type, public.monitor_object(self.snapshot(running)), now, extra)
        self.incidents.on_state_change(change)

    # -- regions --------------------------------------------------------------------------

    def _weigh(self, running: Running, region: str, result: ProbeResult, now: float) -> tuple[Outcome, bool]:
        """A result of one region: that region's confirmation first, then the monitor judged
        by quorum over its fresh regions. -> (the monitor's outcome, re-check here soon)."""
        regional = running.regional[region]
        local = evaluate(regional.state, result.outcome, now, running.spec.confirmation)
        regional.state = local.state
        regional.last_at = now
        regional.latency_ms = result.latency_ms
        regional.error_kind, regional.error_message = result.error_kind, result.error_message
        if local.transition is not None:
            self.writer.add(UPSERT_MONITOR_REGION, (running.seq, region, local.state.state, round(now * 1000)))
            log.info("monitor.region_state_changed", monitor=running.spec.key, region=region,
                     from_state=local.transition.from_state, to_state=local.state.state)
        recheck = local.recheck and region == self.own_region
        if len(running.regional) == 1:  # one region, which just reported (fresh, its agent up): judge() of
            return self._outcome(running, local.state.state, now), recheck  # one state, without the dict
        return self._verdict(running, now), recheck

    def _verdict(self, running: Running, now: float) -> Outcome:
        verdict = quorums.judge(self.fresh_states(running, now), running.spec.quorum or quorums.MAJORITY)
        return self._outcome(running, verdict, now)

    @staticmethod
    def _outcome(running: Running, verdict: str | None, now: float) -> Outcome:
        current = running.state
        if verdict == "pending":  # as judge() says of one pending region: undecided
            verdict = None
        if verdict is None or verdict == current.state:
            return Outcome(current, None, False)
        return Outcome(MonitorState(verdict, now), Transition(current.state, verdict), False)

    def fresh_states(self, running: Running, now: float) -> dict[str, str]:
        """The confirmed state of each region whose results count now (regions/quorum.py)."""
        spec = running.spec
        return {name: regional.state.state for name, regional in running.regional.items()
                if (name == self.own_region or self.region_up(name))
                and quorums.is_fresh(regional.last_at, now, spec.interval, spec.timeout)}

    def seen(self, running: Running, state: str, now: float) -> tuple[str, ...]:
        """The regions that see the monitor in `state` (down or degraded) at `now`; () for a
        monitor probed from one region."""
        if running.regional is None or state not in ("down", "degraded"):
            return ()
        states = self.fresh_states(running, now)
        return quorums.seen_down(states) if state == "down" else quorums.seen_degraded(states)

    def rejudge(self, region: str) -> None:
        """A region's agents went or came back: judge again every monitor probed from it."""
        now = self.clock.time()
        for running in list(self.monitors.values()):
            if (running.regional is None or region not in running.regional or running.paused
                    or running.state.state == MAINTENANCE):
                continue
            outcome = self._verdict(running, now)
            if outcome.transition is not None:
                running.state = outcome.state
                self._change(running, outcome.transition, now, None, None, None, None)


def _us(ms: float | None) -> int | None:
    return None if ms is None else round(ms * 1000)
