"""Person use cases: create, update, delete, and reconcile the config file's
people. Each is one writer transaction that also writes the person's own alert
channels (store/people.py write_channels); then the alert dispatcher follows
(AlertDispatcher.sync), so those channels' consumers start or stop.

A body is checked by the config file's own parser (config/people.py
parse_person) in the file's form, so the API and YAML say the same things; a
problem's path is named as the API's param. Channel refs are resolved to ids
in the transaction; one naming no shared channel is refused, naming its param.
A person named by a schedule (layers, overrides) or an escalation policy's
`user` target cannot be deleted (409 naming them). People from the config file
can be read; changes answer 409.

Events: `person.created/updated/deleted` with the person's public shape (Apprise
URLs masked), recorded in the change's transaction (the on-call service re-reads
its schedules on them: names in `on_call.changed`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec
import structlog

from upstatd import metadata
from upstatd.commands import Changed, Commands, existing, no_problems, refuse_config_managed
from upstatd.config.check import Problems
from upstatd.config.people import PersonSpec, parse_person
from upstatd.errors import Conflict, Invalid
from upstatd.events import Event, EventBus
from upstatd.ids import new_id
from upstatd.people.public import keep_secrets, person_data
from upstatd.store import people as store
from upstatd.store.db import Database
from upstatd.store.people import PersonRow, Unresolved
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.people")


def find(conn: sqlite3.Connection, person_id: str) -> PersonRow:
    return existing(store.get(conn, person_id), "person", person_id)


def checked(document: dict[str, Any]) -> PersonSpec:
    """The API body in the file's form -> the spec, or the first problem naming its param."""
    problems = Problems("api")
    spec = parse_person(document, (), problems, keyed=False)
    no_problems(problems)
    assert spec is not None
    return spec


def file_form(body: msgspec.Struct) -> dict[str, Any]:
    return {name: getattr(body, name) for name in body.__struct_fields__
            if getattr(body, name) is not msgspec.UNSET and name != "metadata"}


def document(row: PersonRow) -> dict[str, Any]:
    """A stored person in the file's form (refs as ids, secrets in clear)."""
    return {"name": row.name, "email": row.email, "timezone": row.timezone,
            "contact_methods": [dict(method) for method in row.contact_methods]}


def resolved(conn: sqlite3.Connection, spec: PersonSpec) -> PersonSpec:
    """The API's form of store.resolved: a ref naming nothing is a 422 naming its param."""
    try:
        return store.resolved(conn, spec)
    except Unresolved as exc:
        param = ".".join(str(part) for part in ("contact_methods", *exc.at))
        raise Invalid(f"{param}: {exc}", param) from None


class PeopleCommands(Commands):
    def __init__(self, clock: Any, writer: Writer, read_db: Database, bus: EventBus, dispatcher: Any,
                 config: Callable[[], Any]) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus
        self.dispatcher = dispatcher   # AlertDispatcher: runs the personal channels (sync)
        self.config = config

    def _said(self, conn: sqlite3.Connection, action: str, row: PersonRow) -> Event:
        return self.bus.record(conn, f"person.{action}", person_data(row), self.clock.time())

    async def _commit(self, write: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `write` (-> (result, events)), publish its events after the commit, then sync."""
        try:
            result, events = await self.writer.run(write)
        finally:
            await self.dispatcher.sync()
        for event in events:
            self.bus.publish(event)
        return result

    async def get(self, person_id: str) -> PersonRow:
        return await self.read_db.call(find, person_id)

    def _editable(self, row: PersonRow, verb: str) -> None:
        refuse_config_managed(row, 'person', 'people', self.config().file, verb)

    async def create(self, body: Any) -> Changed:
        spec = checked({k: v for k, v in file_form(body).items() if v is not None})
        meta = metadata.merge({}, metadata.validate(body.metadata)) if body.metadata is not msgspec.UNSET else {}
        spec = msgspec.structs.replace(spec, metadata=meta)
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[PersonRow, list[Event]]:
            row = store.insert(conn, new_id("usr"), resolved(conn, spec), "api", now_ms)
            return row, [self._said(conn, "created", row)]

        return Changed(await self._commit(write), True)

    async def update(self, person_id: str, body: Any) -> Changed:
        """PATCH and PUT (partial): contact_methods given replace the stored ones; metadata merges."""
        given = file_form(body)
        patch = None if body.metadata is msgspec.UNSET else metadata.validate(body.metadata)
        row = await self.read_db.call(find, person_id)
        if given or patch is not None:
            self._editable(row, "changed")
        if "contact_methods" in given:
            given["contact_methods"] = keep_secrets(given["contact_methods"], row.contact_methods)
        merged = {**document(row), **given}
        spec = checked({name: value for name, value in merged.items() if value is not None})
        spec = msgspec.structs.replace(spec, metadata=row.metadata if patch is None else
                                       metadata.merge(row.metadata, patch))
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[Changed, list[Event]]:
            current = find(conn, person_id)
            if current.updated_at != row.updated_at:
                raise Conflict(f"person {person_id} changed meanwhile: send the change again", "changed_meanwhile")
            wanted = msgspec.structs.replace(resolved(conn, spec), key=current.key)
            if wanted == current.spec():
                return Changed(current, False), []
            fresh = store.update(conn, current, wanted, now_ms)
            return Changed(fresh, True), [self._said(conn, "updated", fresh)]

        return await self._commit(change)

    async def delete(self, person_id: str) -> Changed:
        """With the person's own channels (their consumers stop first); refused while a schedule
        or an escalation policy names the person."""
        row = await self.read_db.call(find, person_id)
        self._editable(row, "deleted")
        named = await self.read_db.call(store.naming_person, person_id)
        if named:
            raise Conflict(f"person {person_id} ({row.name}) is named by {', '.join(named)}: take them out of "
                           f"those first", "person_in_use")
        for channel_id in row.channel_ids:
            await self.dispatcher.remove(channel_id)

        def write(conn: sqlite3.Connection) -> tuple[None, list[Event]]:
            current = find(conn, person_id)
            named = store.naming_person(conn, person_id)
            if named:  # named meanwhile
                raise Conflict(f"person {person_id} ({row.name}) is named by {', '.join(named)}: take them out "
                               f"of those first", "person_in_use")
            store.delete(conn, [current])
            return None, [self._said(conn, "deleted", current)]

        await self._commit(write)
        return Changed(None, True)

    async def reconcile(self, specs: tuple[PersonSpec, ...]) -> None:
        """Start and SIGHUP (after the alert channels): make the config people match the file.
        A person whose ref names no channel in the database is logged and left as stored."""
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[tuple, list[Event]]:
            ready, kept = [], set()
            for spec in specs:
                try:
                    ready.append(store.resolved(conn, spec))
                except Unresolved as exc:
                    kept.add(spec.key)
                    log.error("people.reconcile_failed", file=self.config().file, key=spec.key,
                              param=".".join(str(part) for part in ("contact_methods", *exc.at)), error=str(exc))
            added, changed, removed = store.reconcile(conn, tuple(ready), now_ms, kept)
            events = [self._said(conn, action, row) for action, rows in
                      (("created", added), ("updated", changed), ("deleted", removed)) for row in rows]
            return (added, changed, removed), events

        added, changed, removed = await self._commit(write)
        if added or changed or removed:
            log.info("people.reconciled", added=len(added), changed=len(changed), removed=len(removed))
