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
from typing import Any, NamedTuple

import msgspec
import structlog

from upstatd import metadata
from upstatd.clock import Clock
from upstatd.config.schema import Config, Defaults, MonitorSpec
from upstatd.errors import Conflict, Invalid, Malformed, NotFound
from upstatd.events import Event, EventBus, ResourceChanged
from upstatd.ids import new_id
from upstatd.incidents.service import IncidentService
from upstatd.monitors import public, specs
from upstatd.monitors.public import UNSET
from upstatd.monitors.service import MonitorService, Running
from upstatd.probes import PROBES, ProbeSetupError
from upstatd.store import monitors as store
from upstatd.store.db import Database
from upstatd.store.monitors import MonitorRow
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.monitors")


class Changed(NamedTuple):
    row: MonitorRow | None          # the monitor after the change (None once deleted)
    events: list[ResourceChanged]   # empty: nothing changed, nothing written


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
        param = specs.api_param(path)
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" \
            if len(problems) > 1 else ""
        error = Malformed if message.startswith("unknown key") else Invalid  # an unknown parameter is 400
        raise error(f"{param}: {message}{more}" if param else f"{message}{more}", param)
    assert spec is not None
    return spec


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


class MonitorCommands:
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, service: MonitorService, bus: EventBus,
                 incidents: IncidentService, config: Callable[[], Config],
                 open_probe_type: Callable[[str], Awaitable[None]]) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db
        self.service = service
        self.bus = bus
        self.incidents = incidents
        self.config = config                    # the running config (defaults, the file's name)
        self.open_probe_type = open_probe_type  # shared resources of a type (ICMP sockets)

    # -- helpers -------------------------------------------------------------------

    def _now_ms(self) -> int:
        return round(self.clock.time() * 1000)

    def _event(self, conn: sqlite3.Connection, action: str, row: MonitorRow, at: float,
               reason: str | None = None) -> tuple[Event, ResourceChanged]:
        """monitor.<action> with the public shape, inside the change's transaction."""
        event = self.bus.record(conn, f"monitor.{action}", msgspec.to_builtins(public.monitor_object(row)), at,
                                {"reason": reason} if reason else None)
        return event, ResourceChanged("monitor", action, row.id, at, reason)

    def _editable(self, row: MonitorRow, verb: str) -> None:
        if row.managed_by == "config":
            file = self.config().file
            raise Conflict(f"monitor {row.id} is managed by the config file {file} (monitors entry with key "
                           f"'{row.key}'), so it cannot be {verb} over the API: change it in {file} and "
                           f"reload (systemctl reload upstatd); pause and resume work over the API",
                           "managed_by_config")

    async def _open_type(self, kind: str) -> None:
        try:
            await self.open_probe_type(kind)
        except ProbeSetupError as exc:
            raise Invalid(f"{kind} monitors cannot run on this host: {exc}", "type",
                          code="probe_type_unavailable") from None

    async def get(self, monitor_id: str) -> MonitorRow:
        return await self.read_db.call(find, monitor_id)

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
        await self._open_type(spec.type)
        now_ms = self._now_ms()

        def add(conn: sqlite3.Connection) -> tuple[MonitorRow, Event, ResourceChanged]:
            row = store.insert(conn, monitor_id, spec, now_ms)
            return (row, *self._event(conn, "created", row, now_ms / 1000))

        row, event, change = await self.writer.run(add)
        self.bus.publish(event)
        self.service.put(spec, row.stored(), "api")
        return Changed(row, [change])

    async def update(self, monitor_id: str, body: public.MonitorUpdate) -> Changed:
        """PATCH and PUT (a partial update). A change that changes nothing writes nothing."""
        patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
        defaults = self.config().defaults
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
            if store.same_spec(row, spec):
                return row, None, None, None
            row = store.update(conn, row.seq, spec, now_ms)
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
            return await self._delete([(running, row)], "deleted")
        except BaseException:
            if running is not None:  # still there: run it again
                self.service.put(running.spec, row.stored(), running.managed_by, probe_soon=False)
            raise

    async def _delete(self, leaving: list[tuple[Running | None, MonitorRow]], reason: str | None,
                      then: Callable[[sqlite3.Connection], Any] | None = None) -> Any:
        """Delete rows with their history, one monitor.deleted event and incident
        resolution each, and `then(conn)` (the reconcile) in one transaction."""
        at = self.clock.time()
        decisions = [self.incidents.decide_deleted(row.id, "monitor", at) for _, row in leaving]

        def remove(conn: sqlite3.Connection) -> tuple[list[Event], list[ResourceChanged], Any]:
            events, changes = [], []
            for (_, row), decision in zip(leaving, decisions):
                current = store.get(conn, row.id) or row
                event, change = self._event(conn, "deleted", current, at, reason)
                events.append(event)
                changes.append(change)
                if decision is not None:
                    events.append(self.incidents.write(conn, decision))
            store.delete_history(conn, [row.seq for _, row in leaving])
            return events, changes, then(conn) if then is not None else None

        events, changes, result = await self.writer.run(remove)
        for (_, row), decision in zip(leaving, decisions):
            if decision is not None:
                self.incidents.remember(decision.incident)
            self.incidents.forget_subject(row.id)
        for event in events:
            self.bus.publish(event)
        if then is not None:
            return changes, result
        return Changed(None, changes)

    async def pause(self, monitor_id: str, resume_at_ms: int | None) -> Changed:
        """Config monitors too; with resume_at it resumes by itself then."""
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[MonitorRow, Event, ResourceChanged]:
            row = find(conn, monitor_id)
            paused = store.pause(conn, row.seq, now_ms, resume_at_ms)
            return (paused, *self._event(conn, "paused", paused, now_ms / 1000))

        row, event, changed = await self.writer.run(change)
        self.bus.publish(event)
        self.service.pause(row.key or row.id, None if resume_at_ms is None else resume_at_ms / 1000, row.stored())
        return Changed(row, [changed])

    async def resume(self, monitor_id: str) -> Changed:
        """Probed within a second, then on its interval. Resuming an active monitor changes nothing."""
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[MonitorRow, Event | None, Any]:
            row = find(conn, monitor_id)
            if row.status != "paused":
                return row, None, None
            resumed = store.resume(conn, row.seq, now_ms)
            return (resumed, *self._event(conn, "unpaused", resumed, now_ms / 1000))

        row, event, changed = await self.writer.run(change)
        if event is None:
            return Changed(row, [])
        self.bus.publish(event)
        self.service.resume(row.key or row.id, row.stored())
        return Changed(row, [changed])

    async def reconcile(self, monitors: tuple[MonitorSpec, ...]) -> dict[str, int]:
        """SIGHUP: make the config monitors match the file. Removed ones stop first
        (no result lands after their rows go) and are deleted as over the API, with
        their events, in the reconcile's own transaction."""
        keys = {spec.key for spec in monitors}
        leaving = [running for key, running in self.service.monitors.items()
                   if running.managed_by == "config" and key not in keys]
        removed = self.service.retain(keys)
        now = self.clock.time()
        rows = [(running, self.service.snapshot(running)) for running in leaving]
        _, stored = await self._delete(rows, "removed from the config file",
                                       lambda conn: store.reconcile(conn, monitors, now))
        return self.service.apply(monitors, stored) | {"removed": removed}

