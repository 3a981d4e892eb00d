"""Monitor use cases: create, update, delete, pause, resume, and reconcile the
config file's monitors. Each validates, runs one writer transaction (the
change, its event and its incidents' rows together), applies the change to
the running monitors after the commit, and returns what changed.

Routes, the CLI and SIGHUP call these; none of them writes SQL or builds an
event. Refusals are domain errors (upstatd/errors.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import structlog

from upstatd import metadata, subjects
from upstatd.config.regions import declared_regions
from upstatd.clock import Clock
from upstatd.commands import Commands
from upstatd.alerts import refs
from upstatd.oncall.policy_commands import with_policy
from upstatd.shapes import routing_in
from upstatd.store import escalation_policies as policies
from upstatd.store import services
from upstatd.catalog.commands import with_service
from upstatd.config.schema import Config, Defaults, MonitorSpec
from upstatd.errors import Invalid, NotFound
from upstatd.events import Event, EventBus, ResourceChanged
from upstatd.groups.commands import check_member_group
from upstatd.ids import new_id
from upstatd.incidents.service import IncidentService
from upstatd.monitors import public, specs
from upstatd.monitors.public import UNSET
from upstatd.monitors.service import MonitorService
from upstatd.probes import PROBES, ProbeSetupError
from upstatd.regions import quorum as quorums
from upstatd.store import incidents as incident_store
from upstatd.store import monitors as store
from upstatd.store import checks, sla
from upstatd.store import uptime as figures
from upstatd.store.db import Database
from upstatd.store.monitors import MonitorRow
from upstatd.store.writer import Writer
from upstatd.subjects import Changed

log = structlog.get_logger("upstatd.monitors")


def find(conn: sqlite3.Connection, monitor_id: str) -> MonitorRow:
    row = store.get(conn, monitor_id)
    if row is None:
        raise NotFound(f"no monitor with id '{monitor_id}'")
    return row


def build(shape: dict, defaults: Defaults) -> MonitorSpec:
    """The config file's own validation chain; the first problem names the API param."""
    spec, problems = specs.build(shape, defaults)
    if problems:
        path, message = problems[0]
        raise subjects.problem(problems, specs.api_param(path), message)
    assert spec is not None
    return spec


def serialize(row: MonitorRow) -> dict:
    return msgspec.to_builtins(public.monitor_object(row))


def apply_fields(shape: dict, body: Any) -> None:
    """Copy the fields a body sets into a monitor in the config file's form."""
    for name, key in (("name", "name"), ("url", "url"), ("interval_seconds", "interval"),
                      ("timeout_seconds", "timeout"), ("severity", "severity"), ("tags", "tags")):
        value = getattr(body, name)
        if value is not UNSET:
            shape[key] = value
    if body.confirmation is not UNSET:
        confirmation = dict(shape.get("confirmation") or {})
        for name, key in (("failures", "failures"), ("successes", "successes"), ("recheck_seconds", "recheck")):
            value = getattr(body.confirmation, name)
            if value is not UNSET:
                confirmation[key] = value
        shape["confirmation"] = confirmation
    routing_in(shape, body)
    for name in ("regions", "quorum"):
        value = getattr(body, name)
        if value is None:
            shape.pop(name, None)  # the defaults' (or the daemon's own region, majority)
        elif value is not UNSET:
            shape[name] = value


def check_regions(spec: MonitorSpec, config: Config) -> None:
    """Its regions are the daemon's own and those the config declares (as the file's
    monitors: config/regions.py check_region_refs), and there is at least one."""
    own = config.server.region
    known = declared_regions(own, config.regions)
    shown = ", ".join(known) or "none: server.region is false and regions: declares none"
    if spec.regions is None:
        if own is None:
            raise Invalid("regions: probed from no region: server.region is false, so give regions "
                          f"(regions: {shown})", "regions")
        return
    for index, name in enumerate(spec.regions):
        if name not in known:
            raise Invalid(f"regions.{index}: no region '{name}' (regions: {shown})", f"regions.{index}")


class MonitorCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, service: MonitorService, bus: EventBus,
                 incidents: IncidentService, config: Callable[[], Config],
                 open_probe_type: Callable[[str], Awaitable[None]]) -> None:
        super().__init__(clock, writer, read_db)
        self.service = service
        self.bus = bus
        self.incidents = incidents
        self.config = config                    # the running config (defaults, the file's name)
        self.open_probe_type = open_probe_type  # shared resources of a type (ICMP sockets)

    # -- helpers -------------------------------------------------------------------

    def _event(self, conn: sqlite3.Connection, action: str, row: MonitorRow,
               at: float) -> tuple[Event, ResourceChanged]:
        return subjects.record(self.bus, conn, "monitor", action, serialize(row), row.id, at)

    def _at(self, now_ms: int) -> Callable[[sqlite3.Connection, str, MonitorRow], tuple[Event, ResourceChanged]]:
        """The recorder of a change made at `now_ms`."""
        return lambda conn, action, row: self._event(conn, action, row, now_ms / 1000)

    def _editable(self, row: MonitorRow, verb: str) -> None:
        subjects.editable("monitor", row, verb, self.config().file)

    async def _open_type(self, kind: str) -> None:
        try:
            await self.open_probe_type(kind)
        except ProbeSetupError as exc:
            raise Invalid(f"{kind} monitors cannot run on this host: {exc}", "type",
                          code="probe_type_unavailable") from None

    async def get(self, monitor_id: str) -> MonitorRow:
        return await self.read_db.call(find, monitor_id)

    async def status(self, monitor_id: str) -> public.MonitorStatus:
        """Current state, last check, uptime over 24 h / 7 d / 30 d, latency over 24 h: one read;
        each region's state as the running monitor has it, for one probed from several."""
        now_ms = self._now_ms()

        def read(conn: sqlite3.Connection) -> tuple[MonitorRow, Any, int | None]:
            row = find(conn, monitor_id)
            numbers = figures.monitor_figures(conn, row.seq, row.created_at, now_ms)
            return row, numbers, incident_store.last_started_for(conn, row.id)

        row, numbers, last_incident = await self.read_db.call(read)
        running = self.service.monitors.get(row.key or row.id)
        regions = quorum = None
        if running is not None and running.regional is not None:
            fresh = self.service.fresh_states(running, now_ms / 1000)
            regions = public.region_statuses(running.regional, fresh)
            quorum = (running.spec.quorum or quorums.MAJORITY).value()
        return public.status_object(row, numbers, last_incident, regions, quorum, self.service.own_region)

    async def checks(self, monitor_id: str, filters: dict[str, Any]) -> tuple[str, list[public.Check], bool]:
        """One page of its checks (filters and paging of GET …/checks): (its id, checks, has_more).
        The checks that name no region are the daemon's own region's."""
        own = self.service.own_region

        def read(conn: sqlite3.Connection) -> tuple[str, list[Any], bool]:
            row = find(conn, monitor_id)
            return (row.id, *checks.list_page(conn, row.seq, own_region=own, **filters))

        found_id, rows, has_more = await self.read_db.call(read)
        return found_id, [public.check_object(row, found_id, own) for row in rows], has_more

    async def sla(self, monitor_id: str, from_s: int | None, to_s: int | None) -> public.MonitorSla:
        """Availability, downtime and incidents (exact) and response times (rollups) of a window
        of at most 400 days; default: the last 30 days."""
        now_ms = self._now_ms()
        start, end = sla.window(now_ms, from_s, to_s)

        def read(conn: sqlite3.Connection) -> public.MonitorSla:
            row = find(conn, monitor_id)
            figures = sla.monitor_sla(conn, row.seq, row.id, row.created_at, start, end, now_ms)
            return public.sla_object(row.id, start, end, figures)

        return await self.read_db.call(read)

    # -- use cases ---------------------------------------------------------------------

    async def create(self, body: public.MonitorCreate) -> Changed:
        monitor_id = new_id("mon")
        shape: dict[str, Any] = {"key": monitor_id, "type": body.type, "url": body.url,
                                 "name": body.url[:200] if body.url else body.url}
        apply_fields(shape, body)
        shape["metadata"] = {} if body.metadata is UNSET else metadata.merge({}, metadata.validate(body.metadata))
        for kind in PROBES:
            block = getattr(body, kind)
            if block is not UNSET:
                shape[kind] = block
        spec = build(shape, self.config().defaults)
        check_regions(spec, self.config())
        await self._open_type(spec.type)
        now_ms = self._now_ms()

        group_id = None if body.group_id is UNSET else body.group_id

        def add(conn: sqlite3.Connection) -> tuple[MonitorRow, Event, ResourceChanged]:
            refs.check(conn, spec.alert_channels)
            check_member_group(conn, "monitor", group_id)
            made = with_service(conn, with_policy(conn, spec))
            row = policies.linked(conn, "monitors", store.insert(conn, monitor_id, made, now_ms, group_id), store.by_seq)
            row = services.linked(conn, "monitors", row, store.by_seq)
            return (row, *self._event(conn, "created", row, now_ms / 1000))

        row, event, change = await self.writer.run(add)
        self.bus.publish(event)
        self.service.put(spec, row.stored(), "api")
        return Changed(row, [change])

    async def update(self, monitor_id: str, body: public.MonitorUpdate) -> Changed:
        """PATCH and PUT (a partial update). A change that changes nothing writes nothing."""
        patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
        config = self.config()
        defaults = config.defaults
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[MonitorRow, MonitorSpec | None, Event | None, Any]:
            row = find(conn, monitor_id)
            self._editable(row, "changed")
            if body.type is not UNSET and body.type != row.type:
                raise Invalid(f"type cannot change (this monitor is {row.type}); create a new {body.type} "
                              f"monitor and delete this one", "type")
            shape = specs.shape(row)
            apply_fields(shape, body)
            if body.interval_seconds is not UNSET and body.timeout_seconds is UNSET and \
                    isinstance(body.interval_seconds, (int, float)):
                # as for a timeout left to the defaults in the file: never longer than the interval
                shape["timeout"] = min(shape["timeout"], body.interval_seconds)
            if patch is not None:
                shape["metadata"] = metadata.merge(row.metadata, patch)
            for kind in PROBES:
                block = getattr(body, kind)
                if block is UNSET:
                    continue
                if kind != row.type:
                    shape[kind] = block  # parse_monitor names the mistake
                    continue
                old = shape.get(kind) or {}
                merged = {} if block is None else {**old, **block}
                merged = {key: value for key, value in merged.items() if value is not None}
                shape[kind] = specs.keep_secrets(kind, merged, old)
            spec = build(shape, defaults)
            if body.regions is not UNSET:
                check_regions(spec, config)
            group_id = row.group_id if body.group_id is UNSET else body.group_id
            if store.same_spec(row, spec) and group_id == row.group_id:
                return row, None, None, None
            if body.alert_channels is not UNSET:
                refs.check(conn, spec.alert_channels)
            if group_id != row.group_id:
                check_member_group(conn, "monitor", group_id)
            if body.escalation_policy is not UNSET:
                spec = with_policy(conn, spec)
            if body.service_id is not UNSET:
                spec = with_service(conn, spec)
            row = policies.linked(conn, "monitors", store.update(conn, row.seq, spec, now_ms, group_id), store.by_seq)
            row = services.linked(conn, "monitors", row, store.by_seq)
            return (row, spec, *self._event(conn, "updated", row, now_ms / 1000))

        row, spec, event, changed = await self.writer.run(change)
        if spec is None:
            return Changed(row, [])
        self.bus.publish(event)
        await self._open_type(spec.type)
        self.service.put(spec, row.stored(), row.managed_by)
        return Changed(row, [changed])

    async def delete(self, monitor_id: str) -> Changed:
        """The monitor stops before its rows go (no result of it lands after them);
        its open incident is resolved in the same transaction."""
        row = await self.read_db.call(find, monitor_id)
        self._editable(row, "deleted")
        key = row.key or row.id
        running = self.service.monitors.get(key)
        self.service.remove(key)
        try:
            return await self._delete([row], None)
        except BaseException:
            if running is not None:  # still there: run it again
                self.service.put(running.spec, row.stored(), running.managed_by, probe_soon=False)
            raise

    async def _delete(self, rows: list[MonitorRow], reason: str | None,
                      then: Callable[[sqlite3.Connection], Any] | None = None) -> Any:
        return await subjects.delete(self.writer, self.bus, self.incidents, "monitor", rows, self.clock.time(),
                                     store.get, store.delete_history, serialize, reason, then)

    async def pause(self, monitor_id: str, resume_at_ms: int | None) -> Changed:
        """Config monitors too; with resume_at it resumes by itself then. A paused monitor
        only gets the new resume_at (the same one changes nothing)."""
        now_ms = self._now_ms()
        done = await subjects.set_status(
            self.writer, self.bus, lambda conn: find(conn, monitor_id), "paused",
            lambda conn, row: store.pause(conn, row.seq, now_ms, resume_at_ms), self._at(now_ms),
            unchanged=lambda row: row.status == "paused" and row.resume_at == resume_at_ms)
        if done.events:
            row = done.row
            self.service.pause(row.key or row.id, None if resume_at_ms is None else resume_at_ms / 1000,
                               row.stored())
        return done

    async def resume(self, monitor_id: str) -> Changed:
        """Probed within a second, then on its interval. Resuming an active monitor changes nothing."""
        now_ms = self._now_ms()
        done = await subjects.set_status(self.writer, self.bus, lambda conn: find(conn, monitor_id), "active",
                                         lambda conn, row: store.resume(conn, row.seq, now_ms), self._at(now_ms))
        if done.events:
            self.service.resume(done.row.key or done.row.id, done.row.stored())
        return done

    async def reconcile(self, monitors: tuple[MonitorSpec, ...]) -> dict[str, int]:
        """SIGHUP: make the config monitors match the file. Removed ones stop first
        (no result lands after their rows go) and are deleted as over the API, with
        their events, in the reconcile's own transaction."""
        keys = {spec.key for spec in monitors}
        leaving = [running for key, running in self.service.monitors.items()
                   if running.managed_by == "config" and key not in keys]
        removed = self.service.retain(keys)
        now = self.clock.time()
        rows = [self.service.snapshot(running) for running in leaving]
        _, stored = await self._delete(rows, "removed from the config file",
                                       lambda conn: store.reconcile(conn, monitors, now))
        return self.service.apply(monitors, stored) | {"removed": removed}

