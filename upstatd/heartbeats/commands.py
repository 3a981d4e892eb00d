"""Heartbeat use cases: create (over the API or by a slug URL with ?create=1),
update, delete, pause, resume, and reconcile the config file's heartbeats.
Each validates, runs one writer transaction (the change, its event and its
incidents' rows together), applies the change to the running heartbeats after
the commit, and returns what changed. Taking a ping is HeartbeatService.ping
(the ping path queues and flushes; it is the hot path).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec
import structlog

from upstatd import metadata, subjects
from upstatd.clock import Clock
from upstatd.commands import Commands
from upstatd.alerts import refs
from upstatd.oncall.policy_commands import with_policy
from upstatd.shapes import routing_in
from upstatd.store import escalation_policies as policies
from upstatd.store import services, sla
from upstatd.catalog.commands import with_service
from upstatd.config.heartbeats import HeartbeatSpec, slugify
from upstatd.config.schema import Config
from upstatd.errors import Conflict, NotFound
from upstatd.events import Event, EventBus, ResourceChanged
from upstatd.groups.commands import check_member_group
from upstatd.heartbeats import public, specs
from upstatd.heartbeats.public import UNSET, Links
from upstatd.heartbeats.service import Beat, HeartbeatService
from upstatd.ids import new_id
from upstatd.incidents.service import IncidentService
from upstatd.store import heartbeats as store
from upstatd.store.db import Database
from upstatd.store.heartbeats import HeartbeatConflict, HeartbeatRow
from upstatd.store.writer import Writer
from upstatd.subjects import Changed

log = structlog.get_logger("upstatd.heartbeats")


def find(conn: sqlite3.Connection, heartbeat_id: str) -> HeartbeatRow:
    row = store.get(conn, heartbeat_id)
    if row is None:
        raise NotFound(f"no heartbeat with id '{heartbeat_id}'")
    return row


def default_spec(slug: str) -> dict[str, Any]:
    """A heartbeat made by ?create=1: a daily period with an hour of grace (Healthchecks' defaults)."""
    return {"key": slug, "name": slug, "slug": slug, "period": 86400, "grace": 3600}


def build(shape: dict) -> HeartbeatSpec:
    """The config file's own validation chain; the first problem names the API param."""
    spec, problems = specs.build(shape)
    if problems:
        path, message = problems[0]
        param = specs.api_param(path)
        if param is None and "exactly one of" in message:
            # the file's names (`period`) as the API's; param: the first schedule given, else period_seconds
            given = [specs.api_param((name,)) for name in ("period", "cron", "oncalendar")
                     if shape.get(name) is not None]
            param = given[0] if given else "period_seconds"
            head, _, tail = message.partition(", got ")
            message = head.replace("period (", "period_seconds (") + ", got " + \
                (" and ".join(given) if given else tail)
        raise subjects.problem(problems, param, message)
    assert spec is not None
    return spec


def apply_fields(shape: dict, body: Any) -> None:
    """Copy the fields a body sets into a heartbeat in the config file's form."""
    for field, name in (("name", "name"), ("slug", "slug"), ("timezone", "timezone"), ("grace_seconds", "grace"),
                        ("token", "token"), ("methods", "methods"), ("manual_resume", "manual_resume"),
                        ("severity", "severity"), ("tags", "tags")):
        value = getattr(body, field)
        if value is not UNSET:
            shape[name] = value
    routing_in(shape, body)
    keywords = body.body_keywords
    if keywords is None:
        shape.pop("body_keywords", None)
    elif keywords is not UNSET:  # replaces the heartbeat's keywords whole
        shape["body_keywords"] = {name: value for name, value in msgspec.structs.asdict(keywords).items()
                                  if value is not UNSET}
    given = {name: getattr(body, field) for field, name in (("period_seconds", "period"), ("cron", "cron"),
                                                            ("oncalendar", "oncalendar"))
             if getattr(body, field) is not UNSET}
    if any(value is not None for value in given.values()):
        for name in ("period", "cron", "oncalendar"):  # a new schedule replaces the old one
            shape.pop(name, None)
    for name, value in given.items():
        if value is None:
            shape.pop(name, None)
        else:
            shape[name] = value


def check_slug(conn: sqlite3.Connection, slug: str, seq: int = 0) -> None:
    owner = store.slug_owner(conn, slug, seq)
    if owner is not None:
        raise Conflict(f"slug '{slug}' is already used by heartbeat {owner}; slugs name one heartbeat in "
                       f"slug URLs", "slug_in_use", "slug")


class HeartbeatCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, service: HeartbeatService, bus: EventBus,
                 incidents: IncidentService, config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.service = service
        self.bus = bus
        self.incidents = incidents
        self.config = config  # the running config (the file's name)

    def links(self) -> Links:
        return self.service.links()

    def serialize(self, row: HeartbeatRow, listed: Any = None) -> public.Heartbeat:
        return public.heartbeat_object(row, self.service.links(), listed=listed)

    def _event(self, conn: sqlite3.Connection, action: str, row: HeartbeatRow,
               at: float) -> tuple[Event, ResourceChanged]:
        return subjects.record(self.bus, conn, "heartbeat", action, self._public(row), row.id, at)

    def _at(self, now_ms: int) -> Callable[[sqlite3.Connection, str, HeartbeatRow], tuple[Event, ResourceChanged]]:
        """The recorder of a change made at `now_ms`."""
        return lambda conn, action, row: self._event(conn, action, row, now_ms / 1000)

    def _public(self, row: HeartbeatRow) -> dict:
        return msgspec.to_builtins(self.serialize(row))

    def _editable(self, row: HeartbeatRow, verb: str) -> None:
        subjects.editable("heartbeat", row, verb, self.config().file)

    async def get(self, heartbeat_id: str) -> HeartbeatRow:
        return await self.read_db.call(find, heartbeat_id)

    async def status(self, heartbeat_id: str) -> public.HeartbeatStatus:
        """Current state, last ping, next expected ping, when it turns late and down: one read."""
        def read(conn: sqlite3.Connection) -> public.HeartbeatStatus:
            row = find(conn, heartbeat_id)
            return public.status_object(row, store.last_ping(conn, row.seq))

        return await self.read_db.call(read)

    async def sla(self, heartbeat_id: str, from_s: int | None, to_s: int | None) -> public.HeartbeatSla:
        """Availability, downtime and incidents of a window of at most 400 days (default: the last 30)."""
        now_ms = self._now_ms()
        start, end = sla.window(now_ms, from_s, to_s)

        def read(conn: sqlite3.Connection) -> public.HeartbeatSla:
            row = find(conn, heartbeat_id)
            figures = sla.heartbeat_availability(conn, row.seq, row.id, row.created_at, start, end, now_ms)
            return public.sla_object(row.id, start, end, figures)

        return await self.read_db.call(read)

    async def _fresh(self, row: HeartbeatRow, beat: Beat | None) -> HeartbeatRow:
        """The row again if the running heartbeat moved on from it (a deadline passed
        at once under a new schedule, a resume's flip): the answer shows that state."""
        if beat is None or (beat.state.state, round(beat.state.since * 1000)) == (row.current_state,
                                                                                  row.state_since):
            return row
        await self.writer.flush()
        return await self.read_db.call(store.by_seq, row.seq)

    # -- use cases ---------------------------------------------------------------------

    async def create(self, body: public.HeartbeatCreate) -> Changed:
        heartbeat_id = new_id("hbt")
        name = body.name if isinstance(body.name, str) else "heartbeat"
        shape: dict[str, Any] = {"key": heartbeat_id, "name": name, "slug": slugify(name)}
        apply_fields(shape, body)
        shape["metadata"] = {} if body.metadata is UNSET else metadata.merge({}, metadata.validate(body.metadata))
        return await self._insert(heartbeat_id, build(shape), slug_given=body.slug is not UNSET,
                                  group_id=None if body.group_id is UNSET else body.group_id)

    async def create_from_slug(self, slug: str) -> Beat:
        """The heartbeat a slug URL with ?create=1 names."""
        heartbeat_id = new_id("hbt")
        await self._insert(heartbeat_id, build({**default_spec(slug), "key": heartbeat_id}))
        return self.service.beats[heartbeat_id]

    async def _insert(self, heartbeat_id: str, spec: HeartbeatSpec, slug_given: bool = True,
                      group_id: str | None = None) -> Changed:
        """A slug made from the name gets a number (`backup-2`) when another heartbeat
        has it; a slug sent is a 409."""
        now_ms = self._now_ms()

        def add(conn: sqlite3.Connection) -> tuple[HeartbeatRow, HeartbeatSpec, Event, ResourceChanged]:
            made = spec
            if not slug_given:
                base, number = made.slug[:96], 2
                while store.slug_owner(conn, made.slug) is not None and number < 10_000:
                    made = msgspec.structs.replace(made, slug=f"{base}-{number}")
                    number += 1
            check_slug(conn, made.slug)
            refs.check(conn, made.alert_channels)
            check_member_group(conn, "heartbeat", group_id)
            made = with_service(conn, with_policy(conn, made))
            try:
                row = store.insert(conn, heartbeat_id, made, now_ms, group_id)
            except HeartbeatConflict as exc:
                raise Conflict(str(exc), "token_in_use", "token") from None
            row = policies.linked(conn, "heartbeats", row, store.by_seq)
            row = services.linked(conn, "heartbeats", row, store.by_seq)
            return (row, made, *self._event(conn, "created", row, now_ms / 1000))

        row, made, event, change = await self.writer.run(add)
        self.bus.publish(event)
        self.service.put(made, row)
        return Changed(row, [change])

    async def update(self, heartbeat_id: str, body: public.HeartbeatUpdate) -> Changed:
        """PATCH and PUT (a partial update). A change that changes nothing writes nothing."""
        patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[HeartbeatRow, HeartbeatSpec | None, Event | None, Any]:
            row = find(conn, heartbeat_id)
            self._editable(row, "changed")
            shape = specs.shape(row)
            apply_fields(shape, body)
            if patch is not None:
                shape["metadata"] = metadata.merge(row.metadata, patch)
            spec = build(shape)
            token = spec.token or row.token
            group_id = row.group_id if body.group_id is UNSET else body.group_id
            if store.same_spec(row, spec, token) and group_id == row.group_id:
                return row, None, None, None
            if group_id != row.group_id:
                check_member_group(conn, "heartbeat", group_id)
            if spec.slug != row.slug:
                check_slug(conn, spec.slug, row.seq)
            if body.alert_channels is not UNSET:
                refs.check(conn, spec.alert_channels)
            if body.escalation_policy is not UNSET:
                spec = with_policy(conn, spec)
            if body.service_id is not UNSET:
                spec = with_service(conn, spec)
            try:
                row = store.update(conn, row.seq, spec, token, now_ms, group_id)
            except HeartbeatConflict as exc:
                raise Conflict(str(exc), "token_in_use", "token") from None
            row = policies.linked(conn, "heartbeats", row, store.by_seq)
            row = services.linked(conn, "heartbeats", row, store.by_seq)
            return (row, spec, *self._event(conn, "updated", row, now_ms / 1000))

        row, spec, event, changed = await self.writer.run(change)
        if spec is None:
            return Changed(row, [])
        self.bus.publish(event)
        beat = self.service.put(spec, row)
        return Changed(await self._fresh(row, beat), [changed])

    async def delete(self, heartbeat_id: str) -> Changed:
        """The heartbeat stops before its rows go (no ping lands after them); its open
        incident is resolved in the same transaction."""
        row = await self.read_db.call(find, heartbeat_id)
        self._editable(row, "deleted")
        beat = self.service.beats.get(row.key or row.id)
        self.service.remove(row.key or row.id)
        try:
            return await self._delete([row], None)
        except BaseException:
            if beat is not None:
                self.service.reinstate(beat)
            raise

    async def _delete(self, rows: list[HeartbeatRow], reason: str | None,
                      then: Callable[[sqlite3.Connection], Any] | None = None) -> Any:
        return await subjects.delete(self.writer, self.bus, self.incidents, "heartbeat", rows, self.clock.time(),
                                     store.get, store.delete_history, self._public, reason, then)

    async def pause(self, heartbeat_id: str) -> Changed:
        """No alarms until it is resumed or, unless manual_resume, pinged. Pausing a paused one changes nothing."""
        now_ms = self._now_ms()
        done = await subjects.set_status(self.writer, self.bus, lambda conn: find(conn, heartbeat_id), "paused",
                                         lambda conn, row: store.pause(conn, row.seq, now_ms), self._at(now_ms))
        if done.events:
            self.service.pause(done.row.key or done.row.id, done.row)
        return done

    async def resume(self, heartbeat_id: str) -> Changed:
        """`new` again until its next ping. Resuming an active heartbeat changes nothing."""
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection, row: HeartbeatRow) -> HeartbeatRow:
            for sql, params in store.resume_statements(row.seq, now_ms, "new", now_ms):
                conn.execute(sql, params)
            return store.by_seq(conn, row.seq)

        done = await subjects.set_status(self.writer, self.bus, lambda conn: find(conn, heartbeat_id), "active",
                                         write, self._at(now_ms))
        if not done.events:
            return done
        key = done.row.key or done.row.id
        self.service.resume(key, done.row)
        return done._replace(row=await self._fresh(done.row, self.service.beats.get(key)))

    async def reconcile(self, config: Config) -> dict[str, int]:
        """SIGHUP: make the config heartbeats match the file. Removed ones stop before
        their rows go (no ping lands after them) and are deleted with their events in
        the reconcile's transaction; a token clash with an API heartbeat puts them back
        and changes nothing (HeartbeatConflict)."""
        keys = {spec.key for spec in config.heartbeats}
        leaving = [beat for key, beat in self.service.beats.items()
                   if beat.managed_by == "config" and key not in keys]
        rows = [self.service.snapshot(beat) for beat in leaving]
        for beat in leaving:
            self.service.remove(beat.spec.key)
        now = self.clock.time()

        def reconcile(conn: sqlite3.Connection) -> tuple[dict[str, HeartbeatRow], str]:
            return (store.reconcile(conn, config.heartbeats, now), store.ping_key(conn, config.pings.key))

        try:
            _, (stored, ping_key) = await self._delete(rows, "removed from the config file", reconcile)
        except BaseException:
            for beat in leaving:
                self.service.reinstate(beat)
            raise
        self.service.settings = config.pings
        self.service.ping_key = ping_key
        return self.service.apply(config.heartbeats, stored)
