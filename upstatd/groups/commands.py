"""Group use cases, for the groups of one kind (monitors or heartbeats): create,
update and delete (API groups), pause and resume every member. Each change is
one writer transaction with its `group.*` event; pausing and resuming go
through the members' own commands, one member at a time, so their events and
their effect on the running monitors or heartbeats are those of a pause or
resume of that member over the API.

A group made by the config file (a monitor's `group: web`) is the file's: its
name and members change there. An API group holds only API monitors or
heartbeats: membership is owned by whoever owns the member (DESIGN principle 6).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from upstatd import metadata, subjects
from upstatd.clock import Clock
from upstatd.commands import Commands
from upstatd.config.schema import Config
from upstatd.errors import Conflict, Invalid, NotFound
from upstatd.events import Event, EventBus, ResourceChanged
from upstatd.groups import public
from upstatd.ids import new_id
from upstatd.shapes import UNSET
from upstatd.store import groups as store
from upstatd.store import maintenance, status_pages
from upstatd.store.db import Database
from upstatd.store.groups import GroupRow
from upstatd.store.writer import Writer
from upstatd.subjects import Changed

SHOWN_MEMBERS = 5  # ids named in a refusal to delete a group that has members


def find(conn: sqlite3.Connection, kind: str, group_id: str) -> GroupRow:
    row = store.get(conn, group_id)
    if row is None or row.kind != kind:
        raise NotFound(f"no {kind} group with id '{group_id}'")
    return row


def check_member_group(conn: sqlite3.Connection, kind: str, group_id: str | None) -> None:
    """A monitor or heartbeat made over the API may join an API group of its kind (None: no group)."""
    if group_id is None:
        return
    row = store.get(conn, group_id)
    if row is None or row.kind != kind:
        raise Invalid(f"group_id: no {kind} group with id '{group_id}'", "group_id")
    if row.managed_by == "config":
        raise Invalid(f"group_id: group {group_id} ('{row.key}') is made by the config file and holds only the "
                      f"file's {kind}s; name an API group, or give the {kind} `group: {row.key}` in the file",
                      "group_id")


def _name(value: Any) -> str:
    if not value.strip():
        raise Invalid("name must not be empty", "name")
    if len(value) > 200:
        raise Invalid(f"name must be at most 200 characters, got {len(value)}", "name")
    return value


class GroupCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, bus: EventBus, kind: str,
                 pause_member: Callable[..., Awaitable[Changed]], resume_member: Callable[[str], Awaitable[Changed]],
                 config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus
        self.kind = kind                    # "monitor" or "heartbeat"
        self.pause_member = pause_member    # MonitorCommands.pause / HeartbeatCommands.pause
        self.resume_member = resume_member
        self.config = config                # the running config (the file's name)

    def _event(self, conn: sqlite3.Connection, action: str, row: GroupRow, now_ms: int
               ) -> tuple[Event, ResourceChanged]:
        return subjects.record(self.bus, conn, "group", action, msgspec.to_builtins(public.group_object(row)),
                               row.id, now_ms / 1000)

    def _editable(self, row: GroupRow, verb: str) -> None:
        if row.managed_by == "config":
            file = self.config().file
            raise Conflict(f"group {row.id} is made by the config file {file} (the {self.kind}s with "
                           f"`group: {row.key}`), so it cannot be {verb} over the API: change those {self.kind}s "
                           f"in {file} and reload (systemctl reload upstatd); pause and resume work over the API",
                           "managed_by_config")

    async def get(self, group_id: str) -> GroupRow:
        return await self.read_db.call(find, self.kind, group_id)

    async def create(self, body: public.GroupCreate) -> Changed:
        name = _name(body.name)
        labels = {} if body.metadata is UNSET else metadata.merge({}, metadata.validate(body.metadata))
        now_ms = self._now_ms()

        def add(conn: sqlite3.Connection) -> tuple[GroupRow, Event, ResourceChanged]:
            row = store.insert(conn, new_id("grp"), self.kind, name, labels, now_ms)
            return (row, *self._event(conn, "created", row, now_ms))

        return await subjects.run(self.writer, self.bus, add)

    async def update(self, group_id: str, body: public.GroupUpdate) -> Changed:
        """PATCH and PUT (a partial update); a change that changes nothing writes nothing."""
        name = None if body.name is UNSET else _name(body.name)
        patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[GroupRow, Event | None, ResourceChanged | None]:
            row = find(conn, self.kind, group_id)
            self._editable(row, "changed")
            new_name = row.name if name is None else name
            labels = row.metadata if patch is None else metadata.merge(row.metadata, patch)
            if (new_name, labels) == (row.name, row.metadata):
                return row, None, None
            row = store.update(conn, row.seq, new_name, labels, now_ms)
            return (row, *self._event(conn, "updated", row, now_ms))

        return await subjects.run(self.writer, self.bus, change)

    async def delete(self, group_id: str) -> Changed:
        """Refused while it has members: deleting a group never changes a monitor or
        heartbeat behind the caller's back (move them out with `group_id: null` first);
        refused while a maintenance window names it, for the same reason (a window's
        targets change only by a change of the window). Its status page resources go with it."""
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple[None, Event, ResourceChanged]:
            row = find(conn, self.kind, group_id)
            self._editable(row, "deleted")
            members = store.member_ids(conn, row)
            if members:
                shown = ", ".join(members[:SHOWN_MEMBERS]) + (", …" if len(members) > SHOWN_MEMBERS else "")
                raise Conflict(f"group {row.id} has {len(members)} {self.kind}{'s' if len(members) > 1 else ''} "
                               f"({shown}); move them out (PATCH each with group_id: null) or delete them first",
                               "group_not_empty")
            windows = maintenance.targeting(conn, row.id)
            if windows:
                shown = ", ".join(windows[:SHOWN_MEMBERS]) + (", …" if len(windows) > SHOWN_MEMBERS else "")
                raise Conflict(f"group {row.id} is a target of {len(windows)} maintenance "
                               f"window{'s' if len(windows) > 1 else ''} ({shown}); take it out of their group_ids "
                               f"or delete them first", "group_in_maintenance")
            event = self._event(conn, "deleted", row, now_ms)
            store.delete(conn, row.seq)
            status_pages.delete_subjects(conn, "group", [row.seq])
            return (None, *event)

        return await subjects.run(self.writer, self.bus, remove)

    async def pause(self, group_id: str, *args: Any) -> Changed:
        """Pause every member (`args`: what a member's pause takes besides its id, a
        monitor's resume_at). Members added later are not paused."""
        return await self._each(group_id, lambda member: self.pause_member(member, *args))

    async def resume(self, group_id: str) -> Changed:
        return await self._each(group_id, self.resume_member)

    async def _each(self, group_id: str, command: Callable[[str], Awaitable[Changed]]) -> Changed:
        group = await self.get(group_id)
        changes: list[ResourceChanged] = []
        for member in await self.read_db.call(store.member_ids, group):
            try:
                changes.extend((await command(member)).events)
            except NotFound:  # deleted meanwhile
                continue
        return Changed(await self.get(group_id), changes)
