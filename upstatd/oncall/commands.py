"""On-call schedule use cases: create, update, delete, overrides, and reconcile
the config file's `on_call:` section. Each is one writer transaction that writes
the rows and records `on_call_schedule.created|updated|deleted` (an override made
or removed is its schedule's `updated`, reason `override.created|deleted`).

A body's layers are checked by the pure core (check_schedule), its RotationError
named as the API's param (`layers.0.restrictions.1.end`); every person named
must be a row of `people` (`layers.0.users.1`, `user_id`), checked in the
transaction. Schedules of the config file can be read and take overrides over
the API (someone covers a shift without a config edit); other changes answer 409.
A schedule an escalation policy targets cannot be deleted (409 naming them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec
import structlog

from upstatd import metadata
from upstatd.clock import Clock
from upstatd.commands import Changed, Commands, existing, refuse_config_managed
from upstatd.config.on_call import ScheduleSpec, param_path
from upstatd.config.schema import Config
from upstatd.errors import Conflict, Invalid, Malformed, NotFound
from upstatd.events import Event, EventBus
from upstatd.ids import new_id
from upstatd.oncall import public, rotations
from upstatd.oncall.layers import Layer, Restriction, RotationError
from upstatd.oncall.public import MAX_ACTIVE_OVERRIDES, ScheduleView
from upstatd.oncall.rotations import Override, Schedule, check_schedule
from upstatd.store import services
from upstatd.store import schedules as store
from upstatd.store.db import Database
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.oncall")
WEEK = 7 * 86400


def find(conn: sqlite3.Connection, schedule_id: str) -> store.ScheduleRow:
    return existing(store.get(conn, schedule_id), "on-call schedule", schedule_id)


def api_param(param: str) -> str:
    """The core's `layers[0].restrictions[1].end` as the API's `layers.0.restrictions.1.end`."""
    return ".".join(str(part) for part in param_path(param))


def checked_layers(given: list[public.LayerBody]) -> tuple[Layer, ...]:
    layers = tuple(Layer(tuple(item.users), item.starts_at, item.length, item.timezone,
                         tuple(Restriction(tuple(r.days), r.start, r.end) for r in item.restrictions))
                   for item in given)
    try:
        check_schedule(Schedule(layers))
    except RotationError as exc:
        param = api_param(exc.param)
        raise Invalid(f"{param}: {str(exc).partition(': ')[2]}", param) from None
    return layers


def known_people(conn: sqlite3.Connection, layers: tuple[Layer, ...]) -> None:
    for index, layer in enumerate(layers):
        for at, (ref, found) in enumerate(zip(layer.users, store.people(conn, list(layer.users), keys=False))):
            if found is None:
                param = f"layers.{index}.users.{at}"
                raise Invalid(f"{param}: no person with id '{ref[:100]}'", param)


def with_people(conn: sqlite3.Connection, spec: ScheduleSpec) -> ScheduleSpec:
    """The file's spec with people's keys as usr_ ids (one naming nobody kept as written, logged)."""
    def ids(refs: list[str]) -> list[str]:
        found = store.people(conn, refs, keys=True)
        for ref, person in zip(refs, found):
            if person is None:
                log.warning("on_call.unknown_person", schedule=spec.key, person=ref[:100])
        return [person or ref for ref, person in zip(refs, found)]
    layers = tuple(msgspec.structs.replace(layer, users=tuple(ids(list(layer.users)))) for layer in spec.layers)
    users = ids([item.user for item in spec.overrides])
    overrides = tuple(msgspec.structs.replace(item, user=user) for item, user in zip(spec.overrides, users))
    return msgspec.structs.replace(spec, layers=layers, overrides=overrides)


class ScheduleCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, bus: EventBus,
                 config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus
        self.config = config

    def _view(self, conn: sqlite3.Connection, row: store.ScheduleRow) -> ScheduleView:
        return public.view(conn, row, self.clock.time())

    def _event(self, conn: sqlite3.Connection, action: str, shown: ScheduleView, reason: str | None = None
               ) -> Event:
        now = self.clock.time()
        return self.bus.record(conn, f"on_call_schedule.{action}", public.schedule_object(shown, now), now,
                               {"reason": reason} if reason else None)

    async def _run(self, job: Callable[[sqlite3.Connection], tuple[Any, list[Event]]]) -> Any:
        result, events = await self.writer.run(job)
        for event in events:
            self.bus.publish(event)
        return result

    def _editable(self, row: store.ScheduleRow, verb: str) -> None:
        refuse_config_managed(row, 'on-call schedule', 'on_call', self.config().file, verb, 'overrides work over the API')

    async def get(self, schedule_id: str) -> ScheduleView:
        return await self.read_db.call(lambda conn: self._view(conn, find(conn, schedule_id)))

    async def create(self, body: public.ScheduleCreate) -> Changed:
        layers = checked_layers(body.layers if body.layers is not msgspec.UNSET else [])
        meta = metadata.merge({}, metadata.validate(body.metadata)) if body.metadata is not msgspec.UNSET else {}
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[Changed, list[Event]]:
            known_people(conn, layers)
            shown = self._view(conn, store.insert(conn, new_id("sch"), None, "api", body.name, layers, meta, now_ms))
            return Changed(shown, True), [self._event(conn, "created", shown)]

        return await self._run(write)

    async def update(self, schedule_id: str, body: public.ScheduleUpdate) -> Changed:
        layers = None if body.layers is msgspec.UNSET else checked_layers(body.layers)
        patch = None if body.metadata is msgspec.UNSET else metadata.validate(body.metadata)
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[Changed, list[Event]]:
            row = find(conn, schedule_id)
            if body.name is not msgspec.UNSET or layers is not None or patch is not None:
                self._editable(row, "changed")
            if layers is not None:
                known_people(conn, layers)
            name = row.name if body.name is msgspec.UNSET else body.name
            wanted = (name, row.layers if layers is None else layers,
                      row.metadata if patch is None else metadata.merge(row.metadata, patch))
            if wanted == (row.name, row.layers, row.metadata):
                return Changed(self._view(conn, row), False), []
            shown = self._view(conn, store.update(conn, row.seq, *wanted, now_ms))
            return Changed(shown, True), [self._event(conn, "updated", shown)]

        return await self._run(change)

    async def delete(self, schedule_id: str) -> Changed:
        def remove(conn: sqlite3.Connection) -> tuple[Changed, list[Event]]:
            row = find(conn, schedule_id)
            self._editable(row, "deleted")
            naming = store.policies_naming(conn, row.id)
            if naming:
                raise Conflict(f"on-call schedule {row.id} is a target of the escalation policies "
                               f"{', '.join(naming)}: take it out of their steps first", "schedule_in_use")
            owned = services.owning(conn, "schedule", row.id)
            if owned:
                raise Conflict(f"on-call schedule {row.id} is the owner of the services "
                               f"{', '.join(f'{sid} ({name})' for sid, name in owned)}: give them another owner "
                               f"first", "schedule_in_use")
            event = self._event(conn, "deleted", self._view(conn, row))
            store.delete(conn, row.seq)
            return Changed(None, True), [event]

        return await self._run(remove)

    # -- overrides ----------------------------------------------------------------------------

    async def create_override(self, schedule_id: str, body: public.OverrideCreate) -> Changed:
        if body.ends_at <= body.starts_at:
            raise Invalid("ends_at: must be after starts_at", "ends_at")
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[Changed, list[Event]]:
            row = find(conn, schedule_id)
            if store.people(conn, [body.user_id], keys=False) == [None]:
                raise Invalid(f"user_id: no person with id '{body.user_id[:100]}'", "user_id")
            if len(store.overrides(conn, row.seq, now_ms, MAX_ACTIVE_OVERRIDES)) >= MAX_ACTIVE_OVERRIDES:
                raise Conflict(f"on-call schedule {row.id} has {MAX_ACTIVE_OVERRIDES} overrides not yet ended, the "
                               "most it takes: delete some first", "too_many_overrides")
            made = store.add_override(conn, row.seq, new_id("ovr"), "api",
                                      Override(body.user_id, body.starts_at, body.ends_at), now_ms)
            shown = self._view(conn, store.touch(conn, row.seq, now_ms))
            return Changed(public.override_object(made, row.id, shown.names), True), \
                [self._event(conn, "updated", shown, "override.created")]

        return await self._run(write)

    async def delete_override(self, schedule_id: str, override_id: str) -> Changed:
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple[Changed, list[Event]]:
            row = find(conn, schedule_id)
            found = store.get_override(conn, row.seq, override_id)
            if found is None:
                raise NotFound(f"no override with id '{override_id[:100]}' on on-call schedule {row.id}",
                               "override_id")
            if found.managed_by == "config":
                self._editable(row, "changed (its override from the file)")
            store.delete_override(conn, found.seq)
            shown = self._view(conn, store.touch(conn, row.seq, now_ms))
            return Changed(None, True), [self._event(conn, "updated", shown, "override.deleted")]

        return await self._run(remove)

    async def shifts(self, schedule_id: str, from_t: int | None, to_t: int | None) -> tuple[ScheduleView, list]:
        """Who is on call over [from, to): from defaults to now (or to - 7 days when to is given
        and before now), to to from + 7 days."""
        now = int(self.clock.time())
        start = from_t if from_t is not None else (now if to_t is None or to_t >= now else to_t - WEEK)
        end = to_t if to_t is not None else start + WEEK

        def read(conn: sqlite3.Connection) -> tuple[ScheduleView, list]:
            row = find(conn, schedule_id)
            # every override still on at `start`, so a range in the past shows its overrides too
            shown = public.view(conn, row, start)
            try:
                return shown, rotations.shifts(shown.schedule(), float(start), float(end))
            except RotationError as exc:
                raise Malformed(f"{exc.param}: {str(exc).partition(': ')[2]}", exc.param) from None

        return await self.read_db.call(read)

    # -- the config file ----------------------------------------------------------------------

    async def reconcile(self, specs: tuple[ScheduleSpec, ...]) -> None:
        """Start and SIGHUP (after the people): make the config schedules match the file. A
        schedule's own overrides from the file are replaced; those made over the API stay."""
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[None, list[Event]]:
            events = []
            stored = store.config_rows(conn)
            wanted = {spec.key for spec in specs}
            for key, row in stored.items():
                if key not in wanted:
                    events.append(self._event(conn, "deleted", self._view(conn, row)))
                    store.delete(conn, row.seq)
            for spec in specs:
                spec = with_people(conn, spec)
                row = stored.get(spec.key)
                if row is None:
                    row = store.insert(conn, new_id("sch"), spec.key, "config", spec.name, spec.layers,
                                       spec.metadata, now_ms)
                    store.replace_file_overrides(conn, row.seq, spec.overrides, now_ms)
                    events.append(self._event(conn, "created", self._view(conn, row)))
                    continue
                moved = store.replace_file_overrides(conn, row.seq, spec.overrides, now_ms)
                if moved or (row.name, row.layers, row.metadata) != (spec.name, spec.layers, spec.metadata):
                    row = store.update(conn, row.seq, spec.name, spec.layers, spec.metadata, now_ms)
                    events.append(self._event(conn, "updated", self._view(conn, row)))
            return None, events

        await self._run(write)
