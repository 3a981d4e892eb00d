"""`upstatd agent`: the process and its lifecycle, like the daemon's (app.py).

Start: take the spool file (one agent per spool) → get an assignment: a conditional
pull with the spool's ETag, else, while the daemon cannot be reached, the spool's copy
(an agent restarted during an outage goes on probing); with neither, pull again with
backoff, READY not sent yet → open the probe types' shared resources → arm the
monitors → READY=1. Then one task ticks the wheel, one pushes (at most one push per
push_interval, an empty one as the keep-alive) and one pulls when a push answer names
another ETag.

Stop (SIGTERM/SIGINT): STOPPING=1 → no new probes, in-flight ones end by their own
deadline → one last push, bounded → what is still unsent goes to the spool → exit 0.
A second signal exits at once. A token the daemon refuses (401) or an assignment for
another region than `region` ends the agent with EXIT_REFUSED, which the unit does not
restart: both are deployment mistakes a restart cannot mend.

SIGHUP re-reads the config: server and token apply to the next request (a rotated
token), the spool's bounds at once, `region` at the next pull; another spool path
needs a restart.
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import signal
import sys
from collections.abc import Callable

import structlog

import upstatd
from upstatd.agent.client import (DaemonClient, Pulled, Rejected, TokenRefused, Unreachable, decode_assignment,
                                  refine_offset)
from upstatd.agent.config import AgentConfig
from upstatd.agent.outbox import Outbox
from upstatd.agent.probing import AgentMonitors
from upstatd.agent.spool import Spool
from upstatd.clock import Clock
from upstatd.config.load import ConfigError
from upstatd.probes import PROBES, ProbeSetupError, open_probe_types
from upstatd.regions.protocol import AgentScheduler, Assignment
from upstatd.scheduler.runner import Runner
from upstatd.systemd import Notifier, run_status, run_watchdog, watchdog_interval

log = structlog.get_logger("upstatd.agent")

EXIT_REFUSED = 78          # EX_CONFIG: token refused, wrong region (RestartPreventExitStatus= in the unit)
FORCED_EXIT = 130
DRAIN_TIMEOUT = 15.0       # s: in-flight probes end by their own deadline well before this
LAST_PUSH_TIMEOUT = 5.0    # s: the last push at stop
LATENESS_EVERY = 10.0     # s: how often a push's lateness p99 is computed again
CLOCK_STEP = 0.5          # s: an offset moved this much by a push answer is logged
PULL_BACKOFF = (1.0, 30.0)  # s: first and longest wait between pulls while there is no assignment


class Refusal(Exception):
    """The agent cannot go on as deployed (said once, exit EXIT_REFUSED)."""


class Agent:
    def __init__(self, config: AgentConfig, clock: Clock | None = None, notifier: Notifier | None = None,
                 reread: Callable[[], AgentConfig] | None = None, freeze: bool = False) -> None:
        self.config = config
        self._freeze = freeze               # gc.freeze() once started (the process; not in a test's)
        self.clock = clock or Clock()
        self.notifier = notifier or Notifier.from_env()
        self._reread = reread               # SIGHUP: the config read again, as at start
        self.etag: str | None = None        # the assignment's, as the daemon sent it (quotes included)
        self.region: str | None = None      # the assignment's
        self.push_interval = 1.0
        self.refusal: str | None = None
        self._stop = asyncio.Event()
        self._pull_wanted = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._opened_types: set[str] = set()
        self._stopped = False
        self.ready = asyncio.Event()        # set with READY=1 (tests wait for it)

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        config = self.config
        self.spool = await Spool.open(config.spool_path, config.spool_max_size, config.spool_max_age)
        self.client = DaemonClient(config.server, config.token, self.clock.time)
        self.runner = Runner(self.clock, max_in_flight=config.max_in_flight)
        self.monitors = AgentMonitors(self.clock, self.runner, None, self.spool.opened.offset)
        self.outbox = Outbox(self.spool, self.client, self.monitors.daemon_time)
        self.outbox.scheduler = self._scheduler
        self._lateness: tuple[float, float] = (-math.inf, 0.0)  # (when taken, p99 ms)
        self.monitors.add = self.outbox.add
        await self._first_assignment()
        self._tasks.append(asyncio.create_task(self.runner.run(), name="scheduler"))
        self._tasks.append(asyncio.create_task(self._push_loop(), name="push"))
        self._tasks.append(asyncio.create_task(self._pull_loop(), name="pull"))
        interval = watchdog_interval()
        if interval:
            healthy = lambda: self.clock.monotonic() - self.runner.last_tick_at < interval  # noqa: E731
            self._tasks.append(asyncio.create_task(run_watchdog(self.notifier, interval, healthy), name="watchdog"))
        if self.notifier.enabled:
            self._tasks.append(asyncio.create_task(run_status(self.notifier, self.status_line), name="status"))
        if self._freeze:  # what start made lives as long as the process: full GC passes skip it (DESIGN.md)
            gc.collect()
            gc.freeze()
        log.info("agent.started", version=upstatd.__version__, server=config.server, region=self.region,
                 monitors=len(self.monitors.monitors), spool=config.spool_path, spooled=self.spool.results)
        self.notifier.ready(self.status_line())
        self.ready.set()

    async def _first_assignment(self) -> None:
        opened = self.spool.opened
        delay = PULL_BACKOFF[0]
        while not self._stop.is_set():
            try:
                pulled = await self.client.pull(opened.etag if opened.assignment is not None else None)
            except TokenRefused as exc:
                raise Refusal(f"the daemon refused the agent token ({exc}): make a new one for this agent") from None
            except (Unreachable, Rejected) as exc:
                if opened.assignment is not None:
                    log.warning("agent.assignment_from_spool", error=str(exc), etag=opened.etag,
                                detail="the daemon cannot be reached: probing the last assignment")
                    await self._apply(decode_assignment(opened.assignment), opened.etag, None)
                    return
                log.warning("agent.no_assignment", error=str(exc), retry_in=delay)
                try:
                    await asyncio.wait_for(self._stop.wait(), delay)
                except TimeoutError:
                    pass
                delay = min(PULL_BACKOFF[1], delay * 2)
                continue
            if pulled is None:  # 304: the spool's copy is current
                await self._apply(decode_assignment(opened.assignment), opened.etag, None)
            else:
                await self._apply(pulled.assignment, pulled.etag, pulled)
            return

    async def _apply(self, assignment: Assignment, etag: str | None, pulled: Pulled | None) -> None:
        """An assignment pulled (saved to the spool) or read back from it."""
        wanted = self.config.region
        if wanted is not None and assignment.agent.region != wanted:
            raise Refusal(f"the agent token is for region {assignment.agent.region} (agent "
                          f"{assignment.agent.name}), but this agent is configured for region {wanted}: "
                          f"use the token made for {wanted}, or fix `region`")
        self.region = assignment.agent.region
        self.push_interval = assignment.push_interval
        self.outbox.max_batch = assignment.max_batch
        if pulled is not None:
            self.monitors.offset = pulled.offset
        items = assignment.monitors
        kinds = {kind for kind in AgentMonitors.kinds(items) if kind in PROBES} - self._opened_types
        for kind in sorted(kinds):
            try:
                self._opened_types |= await open_probe_types({kind})
            except ProbeSetupError as exc:
                log.error("agent.probe_type_unavailable", type=kind, error=str(exc))
        unavailable = {kind for kind in kinds if PROBES[kind].open is not None} - self._opened_types
        if unavailable:
            items = tuple(item for item in items if item.monitor.get("type") not in unavailable)
        counts = self.monitors.apply(items)
        self.etag = etag
        log.info("agent.assignment_applied", etag=etag, agent=assignment.agent.id, region=self.region,
                 offset=round(self.monitors.offset, 3), source="daemon" if pulled else "spool", **counts)
        if pulled is not None:
            await self.spool.save_assignment(pulled.body, etag, pulled.offset)

    def _scheduler(self) -> AgentScheduler:
        """The scheduler's counters for a push; the lateness p99 (a sort of the recent
        firings) at most every LATENESS_EVERY seconds."""
        runner, now = self.runner, self.clock.monotonic()
        stats = runner.stats
        if now - self._lateness[0] >= LATENESS_EVERY:
            self._lateness = (now, min(86_400_000.0, stats.snapshot()["lateness_ms"]["p99"]))
        return AgentScheduler(monitors=len(self.monitors.monitors), in_flight=runner.in_flight,
                              max_in_flight=runner.max_in_flight, launched=stats.launched,
                              skipped_late=stats.skipped_late, skipped_busy=stats.skipped_busy,
                              skipped_capacity=stats.skipped_capacity, lateness_p99_ms=self._lateness[1])

    def _follow_clock(self, bounds: tuple[float, float]) -> None:
        before = self.monitors.offset
        self.monitors.offset = refine_offset(before, bounds)
        if abs(self.monitors.offset - before) >= CLOCK_STEP:  # a step, not the ms of drift
            log.warning("agent.clock_offset_changed", offset=round(self.monitors.offset, 3),
                        was=round(before, 3), detail="this host's clock or the daemon's moved")

    async def _push_loop(self) -> None:
        while True:
            started = self.clock.monotonic()
            try:
                answer = await self.outbox.push_once(started)
            except TokenRefused as exc:
                self._refused(f"the daemon refused the agent token ({exc}): probing stopped; "
                              "make a new token for this agent")
                return
            except Exception as exc:  # the spool's disk (full, gone): results stay in memory, try again
                log.error("agent.push_failed", error=repr(exc))
                answer = None
            if answer is not None and answer.assignment != self.etag:
                self._pull_wanted.set()
            if answer is not None and self.client.offset_bounds is not None:
                self._follow_clock(self.client.offset_bounds)
            outbox = self.outbox
            if answer is not None and outbox.waiting >= outbox.max_batch:
                continue  # "every second, or every max_batch results": the next batch is due now
            wait = max(self.push_interval, outbox.retry_after)
            early = answer is not None and not outbox.retry_after  # a full batch may not wait the second
            outbox.retry_after = 0.0
            outbox.full.clear()
            await self._pause(max(0.0, started + wait - self.clock.monotonic()), outbox.full if early else None)

    async def _pause(self, seconds: float, full: asyncio.Event | None) -> None:
        """Until the next push: `seconds`, or less once `full` is set."""
        if full is None:
            await self.clock.sleep(seconds)
            return
        sleep = asyncio.ensure_future(self.clock.sleep(seconds))
        filled = asyncio.ensure_future(full.wait())
        try:
            await asyncio.wait((sleep, filled), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (sleep, filled):
                waiter.cancel()

    async def _pull_loop(self) -> None:
        while True:
            await self._pull_wanted.wait()
            self._pull_wanted.clear()
            try:
                pulled = await self.client.pull(self.etag)
                if pulled is not None:
                    await self._apply(pulled.assignment, pulled.etag, pulled)
            except TokenRefused as exc:
                self._refused(f"the daemon refused the agent token ({exc}): probing stopped")
                return
            except Refusal as exc:
                self._refused(str(exc))
                return
            except (Unreachable, Rejected) as exc:  # the next push answer asks again
                log.warning("agent.pull_failed", error=str(exc))

    def _refused(self, message: str) -> None:
        self.refusal = message
        log.error("agent.refused", error=message)
        self._stop.set()

    async def stop(self) -> None:
        """A second call does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self.notifier.stopping()
        log.info("agent.stopping")
        runner = getattr(self, "runner", None)
        cancelled = 0
        if runner is not None:
            runner.stop_launching()
            cancelled = await runner.drain(DRAIN_TIMEOUT)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        outbox = getattr(self, "outbox", None)
        if outbox is not None:
            if self.refusal is None:
                try:  # the last push: results in flight when cancelled are sent again (the daemon dedups)
                    await asyncio.wait_for(outbox.push_once(self.clock.monotonic()), LAST_PUSH_TIMEOUT)
                except (TimeoutError, TokenRefused):
                    pass
            if outbox.fresh or outbox.numbered:
                await outbox.spill()
        spooled = self.spool.results if "spool" in self.__dict__ else 0
        await self._close()
        log.info("agent.stopped", probes_cancelled=cancelled, spooled=spooled)
        self.notifier.close()

    async def _close(self) -> None:
        for kind in sorted(self._opened_types):
            try:
                await PROBES[kind].close()
            except Exception as exc:
                log.warning("agent.cleanup_failed", part=kind, error=str(exc))
        self._opened_types = set()
        for name in ("client", "spool"):
            part = self.__dict__.pop(name, None)
            if part is not None:
                await part.close()

    async def serve(self) -> int:
        """Start, run until SIGTERM/SIGINT (or a refusal), stop; the exit status."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._on_stop_signal, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self._on_stop_signal, "SIGINT")
        try:
            start = asyncio.create_task(self.start())
            stopped = asyncio.create_task(self._stop.wait())
            await asyncio.wait({start, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not start.done():  # stopped while waiting for a first assignment
                start.cancel()
                await asyncio.gather(start, return_exceptions=True)
            else:
                stopped.cancel()
                start.result()
                loop.add_signal_handler(signal.SIGHUP, lambda: self._tasks.append(
                    asyncio.create_task(self.reload(), name="reload")))
                await self._stop.wait()
        except Refusal as exc:
            self.refusal = str(exc)
            log.error("agent.refused", error=self.refusal)
        finally:
            loop.remove_signal_handler(signal.SIGHUP)
            await self.stop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        return EXIT_REFUSED if self.refusal else 0

    def _on_stop_signal(self, name: str) -> None:
        if not self._stop.is_set():
            log.info("agent.stop_requested", signal=name)
            self._stop.set()
            return
        log.warning("agent.forced_exit", signal=name, detail="second stop signal: unsent results in memory are lost")
        os._exit(FORCED_EXIT)

    def request_stop(self) -> None:
        self._stop.set()

    async def reload(self) -> bool:
        if self._reread is None:
            return False
        self.notifier.reloading()
        try:
            config = await asyncio.to_thread(self._reread)
        except ConfigError as exc:
            log.error("config.reload_failed", file=self.config.file, errors=exc.messages)
            self.notifier.ready(self.status_line())
            return False
        if config.spool_path != self.config.spool_path:
            log.warning("config.restart_needed", section="spool.path", detail="takes effect at the next restart")
        self.client.configure(config.server, config.token)
        self.spool.max_size, self.spool.max_age = config.spool_max_size, config.spool_max_age
        self.runner.max_in_flight = config.max_in_flight  # probes in flight beyond a lowered cap end as they do
        self.config = config
        self._pull_wanted.set()  # a new region or server is checked at once
        log.info("config.reloaded", file=config.file, server=config.server, region=config.region)
        self.notifier.ready(self.status_line())
        return True

    # -- what it shows -----------------------------------------------------------

    def status_line(self) -> str:
        """`12 monitors, last push 0.4 s ago, spool 0` (STATUS=)."""
        outbox = self.outbox
        last = outbox.last_push_at
        ago = "never" if last is None else f"{self.clock.monotonic() - last:.1f} s ago"
        text = f"{len(self.monitors.monitors)} monitors, last push {ago}, spool {self.spool.results}"
        if outbox.unreachable_since is not None:
            text += ", daemon unreachable"
        if self.spool.dropped:
            text += f", {self.spool.dropped} dropped"
        return text


def main(config_file: str | None, flags: dict, log_level: str = "info") -> int:
    """`upstatd agent`: the exit status (1: cannot start, EXIT_REFUSED: see above)."""
    from upstatd import log as logging_setup
    from upstatd.agent.config import load_agent_config
    from upstatd.agent.spool import Busy

    logging_setup.setup(log_level)
    error = "<3>" if logging_setup.to_journal(sys.stderr) else ""

    def read() -> AgentConfig:
        return load_agent_config(config_file, **flags)
    try:
        config = read()
    except ConfigError as exc:
        for message in exc.messages:
            print(f"{error}upstatd agent: {message}", file=sys.stderr)
        return 1
    try:
        import uvloop
        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    agent = Agent(config, reread=read, freeze=True)
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            status = runner.run(agent.serve())
    except (Busy, OSError) as exc:
        print(f"{error}upstatd agent: cannot start: {exc}", file=sys.stderr)
        return 1
    if agent.refusal is not None:
        print(f"{error}upstatd agent: stopped: {agent.refusal}", file=sys.stderr)
    return status
