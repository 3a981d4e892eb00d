"""The daemon: builds the components and owns their lifecycle.

Start order: lock and open the database (migrations), reconcile the YAML
monitors into it, start the writer, the HTTP listener, then the scheduler;
READY=1 goes to systemd last. Stop runs the other way: no new probes,
in-flight probes finish (or time out), listener closed, writer flushed.
Signals are owned here and nowhere else: SIGTERM/SIGINT stop, SIGHUP reloads.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import signal
from collections.abc import Awaitable, Callable

import msgspec
import structlog

import upstatd
from upstatd import ids
import upstatd.api.routes.all  # noqa: F401  (the route table, and with it the permission resources)
from upstatd.api.bootstrap import api_version
from upstatd.api.context import ApiContext
from upstatd.api.ratelimit import Limits
from upstatd.api.forwarded import trusted_peer
from upstatd.api.listener import ConnectionCaps, HttpListener
from upstatd.api.server import build_app
from upstatd.alerts import links as incident_links
from upstatd.alerts import runbook_links
from upstatd.alerts.commands import AlertChannelCommands
from upstatd.alerts.dispatcher import AlertDispatcher
from upstatd.alerts.router import Subject
from upstatd.catalog.grouping import GroupingService
from upstatd.clock import Clock
from upstatd.config.load import ConfigError, load_config
from upstatd.config.schema import Config
from upstatd.delivery.endpoints import WebhookEndpointCommands
from upstatd.delivery.webhooks import WebhookDispatcher
from upstatd.events import EventBus
from upstatd.heartbeats.commands import HeartbeatCommands
from upstatd.heartbeats.public import base_url
from upstatd.heartbeats.service import HeartbeatService
from upstatd.heartbeats.specs import load_api_heartbeats
from upstatd.incidents.commands import IncidentCommands
from upstatd.incidents.service import IncidentService
from upstatd.maintenance.commands import MaintenanceCommands
from upstatd.maintenance.service import MaintenanceService
from upstatd.people.commands import PeopleCommands
from upstatd.oncall.commands import ScheduleCommands
from upstatd.oncall.policy_commands import PolicyCommands
from upstatd.catalog.commands import ServiceCommands
from upstatd.runbooks.commands import RunbookCommands
from upstatd.monitors.commands import MonitorCommands
from upstatd.oncall.calendar import CalendarCommands
from upstatd.oncall.escalations import EscalationService
from upstatd.oncall.service import OnCallService
from upstatd.metrics import Metrics
from upstatd.monitors.service import MonitorService
from upstatd.monitors.specs import load_api_monitors
from upstatd.probes import PROBES, ProbeSetupError, open_probe_types
from upstatd.retention import prune as prune_history
from upstatd.scheduler.runner import Runner
from upstatd.store import db
from upstatd.store import heartbeats as heartbeat_store
from upstatd.store import maintenance as maintenance_store
from upstatd.store.heartbeats import HeartbeatConflict
from upstatd.store.monitors import reconcile
from upstatd.groups.commands import GroupCommands
from upstatd.store import checks, rollups
from upstatd.store.checks import CheckLog
from upstatd.store import agents as agent_store
from upstatd.regions.service import RegionService
from upstatd.regions.commands import AgentCommands
from upstatd.store.settings import id_key, link_key
from upstatd.store.writer import Writer
from upstatd.tokens.admin import bootstrap_admin_token
from upstatd.status_pages.commands import StatusPageCommands
from upstatd.tokens.commands import TokenCommands
from upstatd.systemd import Notifier, run_status, run_watchdog, watchdog_interval

log = structlog.get_logger("upstatd")

SHUTDOWN_TIMEOUT = 30.0  # in-flight probes end by their own deadline well before this
FORCED_EXIT = 130      # the exit status of a second SIGTERM/SIGINT (as a shell's for SIGINT)
PRUNE_EVERY = 600.0      # seconds between passes deleting old pings
ROLL_UP_EVERY = 60.0     # seconds between looks for complete hours to roll up (and history to prune)
RECONCILE_CACHE_SIZE = -65536  # KiB of page cache for the start's reconcile (PRAGMA cache_size)


class AlreadyRunning(Exception):
    pass


class StartError(Exception):
    """The stored state and the config disagree in a way only the sysadmin can settle."""


class Daemon:
    def __init__(self, config: Config, clock: Clock | None = None, notifier: Notifier | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.notifier = notifier or Notifier.from_env()
        self._tasks: list[asyncio.Task] = []
        self._stop = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._lock_file: int | None = None
        self._open_probe_types: set[str] = set()
        # What start() opened, in order; stop() (and a failed start) close it backwards.
        self._closers: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._status_note = ""  # a failed reload says so in STATUS= until the next reload

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        config = self.config
        self._lock(config.storage_path)
        self._closers.append(("lock", self._unlock))
        db.prepare_file(config.storage_path)
        self.write_db = await db.Database.open(config.storage_path)
        self._closers.append(("write_db", self.write_db.close))
        await self.write_db.call(db.migrate)
        self.read_db = await db.Database.open(config.storage_path, readonly=True)
        self._closers.append(("read_db", self.read_db.close))

        def first_reconcile(conn):
            agent_store.reconcile(conn, config.regions, round(self.clock.time() * 1000))
            return (id_key(conn), reconcile(conn, config.monitors, self.clock.time()),
                    heartbeat_store.reconcile(conn, config.heartbeats, self.clock.time()),
                    heartbeat_store.ping_key(conn, config.pings.key), checks.next_seq(conn), link_key(conn),
                    agent_store.region_numbers(conn, region_names(config)), agent_store.monitor_regions(conn),
                    agent_store.all_agents(conn))
        # 100,000 new rows and their unique indexes fit in this page cache: no page is spilled
        # to the WAL and written again within the transaction (a fifth less time). Set back
        # after the commit, when its pages are clean and the smaller cache frees them.
        cache_size = await self.write_db.call(_cache_size, RECONCILE_CACHE_SIZE)
        try:
            (key, stored, stored_beats, ping_key, next_check, links_key, region_numbers, stored_regions,
             agents) = await self.write_db.transaction(first_reconcile)
            ids.use_key(key)  # before anything gives out a chk_/png_ id
        except HeartbeatConflict as exc:
            raise StartError(f"{config.file}: {exc}") from None
        finally:
            await self.write_db.call(_cache_size, cache_size)

        self.writer = Writer(self.write_db)
        self.writer.start()
        self._closers.append(("writer", self.writer.stop))
        self.checks = CheckLog(self.writer, next_check)
        await bootstrap_admin_token(self.writer, config.storage_path, self.clock)

        self.runner = Runner(self.clock, max_in_flight=config.scheduler.max_in_flight)
        self.bus = EventBus(self.writer)
        # Incidents are loaded before anything can change state (heartbeat catch-up below).
        self.incidents = IncidentService(self.clock, self.writer, self.bus, config.incidents)
        await self.incidents.load(self.read_db)
        # root-cause grouping: the graph in memory and the holds re-armed before any state can change
        self.grouping = GroupingService(self.clock, self.writer, self.read_db, self.bus, self.runner, self.incidents,
                                        self._failing)
        self._closers.append(("grouping", self.grouping.stop))
        await self.grouping.load()
        self.webhooks = WebhookDispatcher(self.clock, self.writer, self.read_db, self.bus)
        # before any state can change: every incident event from now on is routed to its channels
        self.alerts = AlertDispatcher(self.clock, self.writer, self.read_db, self.bus, self.runner, self._subject,
                                      lambda: self.config.server.public_url,
                                      lambda: self.config.defaults.alert_channels)
        self.alerts.router.held_back = self.grouping.held_back  # caused: suppressed; held: not yet
        self.alerts.links = lambda incident_id, now, person_id=None: incident_links.urls(  # signed one-click links
            links_key, self.config.server.public_url, incident_id, now, person_id)  # (alerts/links.py)
        self.alerts.runbook_url = lambda runbook_id, incident_id, now: runbook_links.url(  # the runbook pages
            links_key, self.config.server.public_url, runbook_id, incident_id, now)  # (alerts/runbook_links.py)
        # before any state can change too: an incident opening starts its escalation in its own commit
        self.escalations = EscalationService(self.clock, self.writer, self.read_db, self.bus, self.runner)
        self.alert_commands = AlertChannelCommands(self.clock, self.writer, self.read_db, self.alerts,
                                                   lambda: self.config)
        self.webhook_commands = WebhookEndpointCommands(self.clock, self.writer, self.read_db, self.webhooks,
                                                        self.bus, lambda: self.config)
        self.people_commands = PeopleCommands(self.clock, self.writer, self.read_db, self.bus, self.alerts,
                                              lambda: self.config)
        self.monitors = MonitorService(self.clock, self.runner, self.writer, self.checks, self.bus, self.incidents,
                                       config.server.region)
        self.monitors.region_numbers = region_numbers
        self.monitors.stored_regions = stored_regions  # each region's state as confirmed before the stop
        self.regions = RegionService(self.clock, self.runner, self.writer, self.bus, self.monitors,
                                     tuple(region.name for region in config.regions), self.incidents)
        self.regions.load(agents)
        self.monitor_commands = MonitorCommands(self.clock, self.writer, self.read_db, self.monitors, self.bus,
                                                self.incidents, lambda: self.config, self._open_probe_type)
        api_monitors = await self.read_db.call(load_api_monitors)
        for spec, row in api_monitors:  # in place before the API can change them
            self.monitors.put(spec, row, "api", probe_soon=False)
        # Heartbeats run before the listener opens: a ping never meets a 404 for a
        # heartbeat that exists, and deadlines passed while stopped flip first.
        self.heartbeats = HeartbeatService(self.clock, self.runner, self.writer, self.bus, self.incidents,
                                           config.pings, ping_key, base_url(config.server))
        self.heartbeat_commands = HeartbeatCommands(self.clock, self.writer, self.read_db, self.heartbeats,
                                                    self.bus, self.incidents, lambda: self.config)
        # held while the windows stored on cover them: a deadline of theirs passed while stopped must not flip
        self.heartbeats.held_ids = await self.read_db.call(maintenance_store.covered_heartbeats, self.clock.time())
        for spec, row in await self.read_db.call(load_api_heartbeats):
            self.heartbeats.put(spec, row)
        self.heartbeats.apply(config.heartbeats, stored_beats)
        self.maintenance = MaintenanceService(self.clock, self.runner, self.writer, self.read_db, self.bus,
                                              self.monitors, self.heartbeats)
        self.maintenance_commands = MaintenanceCommands(self.clock, self.writer, self.read_db, self.bus,
                                                        self.maintenance, lambda: self.config)
        self.schedule_commands = ScheduleCommands(self.clock, self.writer, self.read_db, self.bus, lambda: self.config)
        self.on_call = OnCallService(self.clock, self.runner, self.writer, self.read_db, self.bus)  # handoffs
        self.policy_commands = PolicyCommands(self.clock, self.writer, self.read_db, self.bus, lambda: self.config)
        self.service_commands = ServiceCommands(self.clock, self.writer, self.read_db, self.bus, lambda: self.config)
        self.runbook_commands = RunbookCommands(self.clock, self.writer, self.read_db, self.bus, self.incidents,
                                                lambda: self.config)
        self.agent_commands = AgentCommands(self.clock, self.writer, self.read_db, self.bus, self.regions,
                                            lambda: self.config)
        self.api = ApiContext(self.read_db, self.writer, self.clock, await self.read_db.call(api_version),
                              Limits(*msgspec.structs.astuple(config.rate_limit)), lambda: self.config,
                              self.monitor_commands, self.heartbeat_commands,
                              IncidentCommands(self.clock, self.writer, self.read_db, self.incidents, self.bus,
                                               self.escalations, own_region=self.monitors.own_region),
                              TokenCommands(self.clock, self.writer, self.read_db), self.webhook_commands,
                              self.alert_commands,
                              StatusPageCommands(self.clock, self.writer, self.read_db, self.bus),
                              self.heartbeats, link_key=links_key,
                              monitor_group_commands=GroupCommands(
                                  self.clock, self.writer, self.read_db, self.bus, "monitor",
                                  self.monitor_commands.pause, self.monitor_commands.resume, lambda: self.config),
                              heartbeat_group_commands=GroupCommands(
                                  self.clock, self.writer, self.read_db, self.bus, "heartbeat",
                                  self.heartbeat_commands.pause, self.heartbeat_commands.resume,
                                  lambda: self.config),
                              maintenance_commands=self.maintenance_commands,
                              people_commands=self.people_commands,
                              schedule_commands=self.schedule_commands,
                              on_call_calendar=CalendarCommands(self.clock, self.writer, self.read_db,
                                                                lambda: base_url(self.config.server)),
                              policy_commands=self.policy_commands, service_commands=self.service_commands,
                              runbook_commands=self.runbook_commands, agent_commands=self.agent_commands,
                              bus=self.bus)
        server = config.server
        self.metrics = Metrics(self.health, lambda: self.monitors.monitors.values(),
                               lambda: self.heartbeats.beats.values(), self.read_db,
                               agents=lambda: self.regions.agents.values(), now=self.clock.time)
        self.listener = HttpListener(
            build_app(self.health, self.api, server.trusted_proxies, server.body_timeout, self.metrics,
                      lambda: self.config.metrics, regions=self.regions), server.host, server.port,
            header_timeout=server.header_timeout,
            caps=ConnectionCaps(server.max_connections, server.max_connections_per_address,
                                exempt=trusted_peer(server.trusted_proxies)))
        await self.listener.start()
        self._closers.append(("listener", self.listener.stop))
        self._closers.append(("webhooks", self.webhooks.stop))  # before its start: it may fail half way
        await self.webhook_commands.reconcile(config.webhooks)
        await self.webhooks.start()
        self._closers.append(("alerts", self.alerts.stop))
        await self.alert_commands.reconcile(config.alert_channels)
        await self.people_commands.reconcile(config.people)  # after the channels they name
        await self.alerts.start()
        self._closers.append(("escalations", self.escalations.stop))
        await self.escalations.start()  # after the channels: a step due while stopped pages at once
        self._closers.append(("probe types", self._close_probe_types))

        self._open_probe_types |= await open_probe_types(
            ({spec.type for spec in config.monitors} | {spec.type for spec, _ in api_monitors})
            - self._open_probe_types)

        # Everything built so far lives until exit: keep it out of GC passes. Done
        # before the first slots are computed, so the pass does not make them late.
        gc.collect()
        _trim_heap()  # here, not after: the first slots are computed next, and the trim takes time
        gc.freeze()
        gc.enable()  # `upstatd run` loads and starts with collection off
        self.monitors.apply(config.monitors, stored)
        await self.maintenance_commands.reconcile(config.maintenance)  # after every monitor and heartbeat runs
        await self.schedule_commands.reconcile(config.on_call)
        await self.on_call.sync()  # a handoff while stopped is told now, once
        await self.policy_commands.reconcile(config.escalation_policies)  # after subjects, people and channels
        await self.service_commands.reconcile(config.services)  # after the people and schedules owning them
        await self.runbook_commands.reconcile(config.runbooks)  # after what they link to
        self._tasks.append(asyncio.create_task(self.runner.run(), name="scheduler"))
        self._tasks.append(asyncio.create_task(self._prune(), name="prune"))
        self._tasks.append(asyncio.create_task(self._roll_up(), name="roll-up"))
        if config.metrics.enabled:  # label texts made once now, in chunks, not by the first scrape
            self._tasks.append(asyncio.create_task(self.metrics.warm(), name="metrics-warm"))

        interval = watchdog_interval()
        if interval:
            healthy = lambda: self.clock.monotonic() - self.runner.last_tick_at < interval  # noqa: E731
            self._tasks.append(asyncio.create_task(run_watchdog(self.notifier, interval, healthy),
                                                   name="watchdog"))
        if self.notifier.enabled:  # STATUS= follows state changes, not only READY=1
            self._tasks.append(asyncio.create_task(run_status(self.notifier, self._status_line), name="status"))
        log.info("daemon.started", version=upstatd.__version__, monitors=len(config.monitors),
                 heartbeats=len(self.heartbeats.beats),
                 listen=f"{config.server.host}:{config.server.port}", database=config.storage_path)
        self.notifier.ready(self._status_line())

    async def stop(self) -> None:
        self.notifier.stopping()
        log.info("daemon.stopping")
        self.runner.stop_launching()
        cancelled = await self.runner.drain(SHUTDOWN_TIMEOUT)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_all()
        self.notifier.close()
        log.info("daemon.stopped", probes_cancelled=cancelled)

    async def _close_all(self) -> None:
        """Close what start() opened, the last opened first (a failed start too: the
        database threads would otherwise keep the process alive). A second call does nothing."""
        while self._closers:
            name, close = self._closers.pop()
            try:
                await close()
            except Exception as exc:  # closing anyway: report, go on with the rest
                log.warning("daemon.cleanup_failed", part=name, error=str(exc))

    async def _close_probe_types(self) -> None:
        for kind in self._open_probe_types:
            await PROBES[kind].close()
        self._open_probe_types = set()

    async def _unlock(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None  # never close a descriptor reused since

    async def serve(self) -> None:
        """Start, run until SIGTERM or SIGINT, stop. SIGHUP reloads the config."""
        loop = asyncio.get_running_loop()
        # Before start: a stop asked for while it runs (the listener answers before the
        # alert channels are up) is a graceful stop as soon as it is done, not a kill.
        loop.add_signal_handler(signal.SIGTERM, self._on_stop_signal, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self._on_stop_signal, "SIGINT")
        try:
            await self.start()
        except BaseException:
            await self._close_all()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            raise
        loop.add_signal_handler(signal.SIGHUP, lambda: self._tasks.append(
            asyncio.create_task(self.reload(), name="reload")))
        try:
            await self._stop.wait()
        finally:
            loop.remove_signal_handler(signal.SIGHUP)  # SIGTERM/SIGINT stay: a second one forces the exit
            await self.stop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    def _on_stop_signal(self, name: str) -> None:
        """The first SIGTERM/SIGINT stops gracefully (in-flight probes finish, the writer
        flushes); a second one while that runs exits at once: what was acknowledged
        (pings, API answers) is committed already, queued checks are lost."""
        if not self._stop.is_set():
            log.info("daemon.stop_requested", signal=name)
            self._stop.set()
            return
        log.warning("daemon.forced_exit", signal=name, detail="second stop signal: not waiting for the shutdown")
        os._exit(FORCED_EXIT)

    async def reload(self) -> bool:
        """Re-read the config file; an invalid one leaves everything as it was."""
        async with self._reload_lock:
            self.notifier.reloading()
            try:
                config = await asyncio.to_thread(load_config, self.config.file)
            except ConfigError as exc:
                log.error("config.reload_failed", file=self.config.file, errors=exc.messages)
                self.notifier.ready(self._status_line("reload failed, running config kept"))
                return False
            for section in ("server", "storage_path"):
                if getattr(config, section) != getattr(self.config, section):
                    log.warning("config.restart_needed", section=section.split("_")[0],
                                detail="takes effect at the next restart")
            # Stop removed monitors first, so no result of theirs lands after their rows are deleted.
            try:
                self._open_probe_types |= await open_probe_types(
                    {spec.type for spec in config.monitors} - self._open_probe_types)
            except ProbeSetupError as exc:
                log.error("config.reload_failed", file=self.config.file, errors=[str(exc)])
                self.notifier.ready(self._status_line("reload failed, running config kept"))
                return False
            await self._reconcile_regions(config)  # before the monitors that name them
            counts = await self.monitor_commands.reconcile(config.monitors)
            try:
                beats = await self.heartbeat_commands.reconcile(config)
            except HeartbeatConflict as exc:
                log.error("config.reload_failed", file=self.config.file, errors=[str(exc)])
                beats = {"failed": str(exc)}
            self.incidents.settings = config.incidents
            await self.maintenance_commands.reconcile(config.maintenance)
            await self.webhook_commands.reconcile(config.webhooks)
            self.config = msgspec.structs.replace(self.config, defaults=config.defaults)  # the router's defaults
            await self.alert_commands.reconcile(config.alert_channels)
            await self.people_commands.reconcile(config.people)
            await self.schedule_commands.reconcile(config.on_call)  # after the people they name
            await self.on_call.sync()
            await self.policy_commands.reconcile(config.escalation_policies)  # after subjects, people and channels
            await self.service_commands.reconcile(config.services)  # after the people and schedules owning them
            await self.runbook_commands.reconcile(config.runbooks)  # after what they link to
            self.runner.max_in_flight = config.scheduler.max_in_flight
            self.api.limiter.limits = Limits(*msgspec.structs.astuple(config.rate_limit))
            # The listener and the database stay as started until a restart.
            self.config = msgspec.structs.replace(config, server=self.config.server,
                                                  storage_path=self.config.storage_path)
            log.info("config.reloaded", file=config.file, **counts, heartbeats=beats)
            self.notifier.ready(self._status_line(""))
            return True

    async def _reconcile_regions(self, config: Config) -> None:
        now_ms = round(self.clock.time() * 1000)

        def apply(conn):
            agent_store.reconcile(conn, config.regions, now_ms)
            return agent_store.region_numbers(conn, region_names(config)), agent_store.all_agents(conn)
        numbers, agents = await self.writer.run(apply)
        self.monitors.region_numbers = numbers
        self.regions.regions = tuple(region.name for region in config.regions)
        self.regions.load(agents)

    def request_stop(self) -> None:
        self._stop.set()

    # -- helpers -------------------------------------------------------------

    def _subject(self, subject_id: str) -> Subject | None:
        """A running monitor or heartbeat as the alert router sees it (any thread: reads only)."""
        running = self.monitors.by_id.get(subject_id)
        if running is not None:
            spec = running.spec
            return Subject("monitor", running.id, spec.name, spec.url, spec.type, running.state.state,
                           spec.alert_channels, spec.reminder_interval)
        beat = self.heartbeats.by_id.get(subject_id)
        if beat is not None:
            spec = beat.spec
            return Subject("heartbeat", beat.id, spec.name, None, spec.schedule.kind, beat.state.state,
                           spec.alert_channels, spec.reminder_interval)
        return None

    def _failing(self, subject_id: str) -> bool:
        """A running monitor with failed checks short of its confirmation, or a late heartbeat
        (root-cause grouping holds its dependents' alerts meanwhile)."""
        monitors = getattr(self, "monitors", None)
        running = monitors.by_id.get(subject_id) if monitors is not None else None
        if running is not None:
            state = running.state
            return not running.paused and state.failures > 0 and state.state not in ("down", "maintenance")
        heartbeats = getattr(self, "heartbeats", None)
        beat = heartbeats.by_id.get(subject_id) if heartbeats is not None else None
        return beat is not None and beat.state.state == "late"

    async def _open_probe_type(self, kind: str) -> None:
        """A monitor made over the API may use a type no config monitor uses (ICMP sockets)."""
        if kind in self._open_probe_types or PROBES[kind].open is None:
            return
        async with self._reload_lock:
            self._open_probe_types |= await open_probe_types({kind} - self._open_probe_types)

    async def _prune(self) -> None:
        """Pings beyond pings.keep (the other tables: the roll-up pass)."""
        while True:
            await asyncio.sleep(PRUNE_EVERY)
            try:
                pings = await self.heartbeats.prune()
            except Exception as exc:  # the disk: try again at the next pass
                log.warning("store.prune_failed", error=str(exc))
                continue
            if pings:
                log.info("store.pruned", pings=pings, keep_pings=self.heartbeats.settings.keep)

    async def _roll_up(self) -> None:
        """Roll complete hours up (summarized on the read connection, saved in one writer job),
        then prune raw checks, rollups, events, deliveries and alerts past their retention,
        a batch per job: nothing here runs on the probe path or holds the writer for long."""
        while True:
            try:
                await self.roll_up_once()
            except Exception as exc:  # the disk: the next pass resumes from the cursor
                log.warning("store.roll_up_failed", error=str(exc))
            await asyncio.sleep(ROLL_UP_EVERY)

    async def roll_up_once(self) -> tuple[int, int]:
        """(batches of hours rolled up, rows pruned) in one pass."""
        batches = pruned = 0
        while True:
            now_ms = round(self.clock.time() * 1000)
            batch = await self.read_db.call(rollups.pending, now_ms)
            if batch is None:
                break
            await self.writer.run(lambda conn: rollups.save(conn, batch))
            batches += 1
            if not batch.more:
                break
            await asyncio.sleep(0.05)  # API reads share the read connection between batches
        retention = self.config.retention
        while True:
            now_ms = round(self.clock.time() * 1000)
            removed = await self.writer.run(
                lambda conn: rollups.prune(conn, now_ms, retention.checks * 1000, retention.rollups * 1000,
                                           retention.hourly * 1000))
            pruned += removed
            if removed < rollups.PRUNE_BATCH:
                break
            await asyncio.sleep(0.05)  # other writes between batches
        if pruned:
            log.info("store.pruned_checks", rows=pruned)
        history = await prune_history(self.writer, self.read_db, self.clock.time, retention)
        if any(history.values()):
            log.info("store.pruned_history", **history)
        return batches, pruned + sum(history.values())

    def _lock(self, storage_path: str) -> None:
        """One daemon per database: a second one would probe and write everything twice."""
        fd = db.lock(storage_path)
        if fd is None:
            raise AlreadyRunning(f"another upstatd is already running on {storage_path}")
        self._lock_file = fd

    def _status_line(self, note: str | None = None) -> str:
        """A `note` given stays in the line (run_status refreshes it) until another replaces it."""
        if note is not None:
            self._status_note = note
        note = self._status_note
        states: dict[str, int] = {}
        for running in self.monitors.monitors.values():
            states[running.state.state] = states.get(running.state.state, 0) + 1
        text = f"{len(self.monitors.monitors)} monitors: " + ", ".join(
            f"{count} {state}" for state, count in sorted(states.items()))
        beats: dict[str, int] = {}
        for beat in self.heartbeats.beats.values():
            beats[beat.state.state] = beats.get(beat.state.state, 0) + 1
        if beats:  # "12 monitors: 11 up, 1 down; 3 heartbeats: 2 up, 1 late"
            text += f"; {len(self.heartbeats.beats)} heartbeats: " + ", ".join(
                f"{count} {state}" for state, count in sorted(beats.items()))
        return f"{text}; {note}" if note else text

    def health(self) -> dict:
        failing = self.writer.failing
        return {
            "status": "failing" if failing else "ok",
            "version": upstatd.__version__,
            "monitors": len(self.monitors.monitors),
            "heartbeats": len(self.heartbeats.beats),
            "in_flight": self.runner.in_flight,
            "scheduler": self.runner.stats.snapshot(),
            "store": {"pending": self.writer.pending, "rows_written": self.writer.rows_written,
                      "commits": self.writer.commits, "jobs": self.writer.jobs, "dropped": self.writer.dropped,
                      "failing": failing},
            "delivery": {"webhooks": _consumers(self.webhooks.outbox), "alerts": _consumers(self.alerts.outbox)},
            "api": {"connections_open": self.listener.caps.open, "connections_refused": self.listener.caps.refused},
        }


def _cache_size(conn, size: int) -> int:
    """Set the connection's PRAGMA cache_size; returns the one it had."""
    ((before,),) = conn.execute("PRAGMA cache_size").fetchall()
    conn.execute(f"PRAGMA cache_size = {int(size)}")
    return before


def _trim_heap() -> None:
    """Give the heap that loading freed back to the kernel: glibc keeps freed memory for
    reuse, and the RSS of a 100,000-object start would be what was read, not what runs."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def region_names(config: Config) -> list[str]:
    """Every region a check row may carry the number of: the agents' (the daemon's own is NULL)."""
    return [region.name for region in config.regions]


def _consumers(outbox) -> dict:
    """An outbox's consumers running, and those failing (retrying after an error)."""
    running = list(outbox.consumers.values())
    return {"consumers": len(running),
            "failing": sum(consumer.failing_since is not None for consumer in running)}
