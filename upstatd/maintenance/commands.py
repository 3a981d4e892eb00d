"""Maintenance window use cases: create, update, delete, and reconcile the
config file's windows. Each is one writer transaction (a new window records
`maintenance.scheduled` in it), then the running service follows
(`MaintenanceService.sync`: its timers and the targets it covers).

A body is checked by the config file's own parser (config/maintenance.py
parse_window) in the file's form, so the API and YAML say the same things; a
problem's path is named as the API's param. Targets are resolved to ids in the
transaction; one naming no monitor, heartbeat or group is refused, naming its
param. A group target is kept as the group's id: the service covers its members
of the moment (MaintenanceService.sync after a membership change).
Windows from the config file can be read; changes answer 409.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec

from upstatd import metadata
from upstatd.clock import Clock
from upstatd.commands import Changed, Commands, existing, no_problems, refuse_config_managed
from upstatd.config.check import Problems
from upstatd.config.maintenance import RULES, WindowSpec, parse_window
from upstatd.config.schema import Config
from upstatd.errors import Conflict, Invalid
from upstatd.events import Event, EventBus
from upstatd.ids import new_id
from upstatd.maintenance.public import window_data
from upstatd.store import maintenance as store
from upstatd.store.db import Database
from upstatd.store.maintenance import WindowRow
from upstatd.store.writer import Writer

API_NAMES = {"duration": "duration_seconds"}
FILE_NAMES = {api: name for name, api in API_NAMES.items()}
SCHEDULE = ("starts_at", "ends_at", *RULES)


def find(conn: sqlite3.Connection, window_id: str) -> WindowRow:
    return existing(store.get(conn, window_id), "maintenance window", window_id)


def checked(document: dict[str, Any], now: float) -> WindowSpec:
    """The API body in the file's form -> the spec, or the first problem naming its param."""
    problems = Problems("api")
    spec = parse_window(document, (), problems, keyed=False, now=now)
    no_problems(problems, API_NAMES)
    assert spec is not None
    return spec


def file_form(body: msgspec.Struct) -> dict[str, Any]:
    return {FILE_NAMES.get(name, name): getattr(body, name) for name in body.__struct_fields__
            if getattr(body, name) is not msgspec.UNSET and name != "metadata"}


def document(row: WindowRow) -> dict[str, Any]:
    """A stored window in the file's form."""
    window = row.window
    out: dict[str, Any] = {"title": row.title, "description": row.description, "timezone": window.timezone,
                           "monitor_ids": list(row.monitor_ids), "heartbeat_ids": list(row.heartbeat_ids),
                           "group_ids": list(row.group_ids)}
    if window.kind == "once":
        out.update(starts_at=window.starts_at, ends_at=window.ends_at)
    else:
        out.update({window.kind: window.expression, "duration": window.duration})
    return out


def with_targets(conn: sqlite3.Connection, spec: WindowSpec) -> WindowSpec:
    """Every target named as its id; one naming nothing refused, naming its param."""
    resolved = {}
    for field, table, noun in (("monitor_ids", "monitors", "monitor"), ("heartbeat_ids", "heartbeats", "heartbeat")):
        refs = getattr(spec, field)
        ids = store.resolve(conn, table, refs)
        for index, (ref, found) in enumerate(zip(refs, ids)):
            if found is None:
                raise Invalid(f"{field}.{index}: no {noun} with id or key '{ref[:100]}'", f"{field}.{index}")
        resolved[field] = tuple(dict.fromkeys(ids))
    groups = store.resolve_groups(conn, spec.group_ids, config=True)
    for index, (ref, found) in enumerate(zip(spec.group_ids, groups)):
        if not found:
            raise Invalid(f"group_ids.{index}: no group with id or config name '{ref[:100]}'", f"group_ids.{index}")
    resolved["group_ids"] = tuple(dict.fromkeys(group for found in groups for group in found))
    return msgspec.structs.replace(spec, **resolved)


class MaintenanceCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, bus: EventBus, service: Any,
                 config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus
        self.service = service   # MaintenanceService: follows each committed change (sync)
        self.config = config

    async def get(self, window_id: str) -> WindowRow:
        return await self.read_db.call(find, window_id)

    def _editable(self, row: WindowRow, verb: str) -> None:
        refuse_config_managed(row, 'maintenance window', 'maintenance', self.config().file, verb)

    async def _checked(self, given: dict[str, Any]) -> WindowSpec:
        # off the loop: a rule matching no date is walked far before it is refused (windows.check_rrule)
        return await asyncio.to_thread(checked, {k: v for k, v in given.items() if v is not None}, self.clock.time())

    def _scheduled(self, conn: sqlite3.Connection, row: WindowRow) -> Event:
        return self.bus.record(conn, "maintenance.scheduled", window_data(row, self.clock.time()), self.clock.time())

    async def create(self, body: Any) -> Changed:
        spec = await self._checked(file_form(body))
        meta = metadata.merge({}, metadata.validate(body.metadata)) if body.metadata is not msgspec.UNSET else {}
        spec = msgspec.structs.replace(spec, metadata=meta)
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[WindowRow, Event]:
            row = store.insert(conn, new_id("mnt"), with_targets(conn, spec), "api", now_ms)
            return row, self._scheduled(conn, row)

        row, event = await self.writer.run(write)
        self.bus.publish(event)
        await self.service.sync()
        return Changed(row, True)

    async def update(self, window_id: str, body: Any) -> Changed:
        """PATCH and PUT (partial). A schedule given replaces the stored one whole: a
        one-off's two times, or a rule (keeping the stored duration unless given)."""
        given = file_form(body)
        patch = None if body.metadata is msgspec.UNSET else metadata.validate(body.metadata)
        row = await self.read_db.call(find, window_id)
        if given or patch is not None:
            self._editable(row, "changed")
        merged = document(row)
        if any(name in given for name in SCHEDULE):
            for name in (*SCHEDULE, *(("duration",) if "starts_at" in given else ())):
                merged.pop(name, None)
        merged.update(given)
        spec = await self._checked(merged)
        spec = msgspec.structs.replace(spec, metadata=row.metadata if patch is None else
                                       metadata.merge(row.metadata, patch))
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> Changed:
            current = find(conn, window_id)
            wanted = msgspec.structs.replace(with_targets(conn, spec), key=current.key)
            if current.updated_at != row.updated_at:
                raise Conflict(f"maintenance window {window_id} changed meanwhile: send the change again",
                               "changed_meanwhile")
            if wanted == current.spec():
                return Changed(current, False)
            return Changed(store.update(conn, current, wanted, now_ms), True)

        changed = await self.writer.run(change)
        if changed.changed:
            await self.service.sync()
        return changed

    async def delete(self, window_id: str) -> Changed:
        row = await self.read_db.call(find, window_id)
        self._editable(row, "deleted")
        await self.writer.run(lambda conn: store.delete(conn, [find(conn, window_id).seq]))
        await self.service.sync()
        return Changed(None, True)

    async def reconcile(self, specs: tuple[WindowSpec, ...]) -> None:
        """Start and SIGHUP (after the monitors and heartbeats): make the config windows match
        the file; each new one records maintenance.scheduled."""
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> list[Event]:
            added, _ = store.reconcile(conn, specs, now_ms)
            return [self._scheduled(conn, row) for row in added]

        for event in await self.writer.run(write):
            self.bus.publish(event)
        await self.service.sync()
