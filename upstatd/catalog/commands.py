"""Catalog service use cases: create, update, delete, add and remove a
dependency, and reconcile the config file's `services:`. Each is one writer
transaction that records `service.created|updated|deleted` in it (a service
whose edges changed is `updated`, on both ends), published after the commit.

An owner names a person (`people`) or an on-call schedule by id or config key,
stored as the id; one naming nothing is refused naming `owner.id`. A dependency
that would close a cycle is refused naming the cycle by names and ids (code
`dependency_cycle`, catalog/graph.py cycle). A service others need cannot be
deleted (409 `service_in_use` naming them). Services and edges from the config
file can be read; changes answer 409 `managed_by_config`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec
import structlog

from upstatd import metadata
from upstatd.catalog import graph as catalog_graph
from upstatd.catalog.public import service_data
from upstatd.clock import Clock
from upstatd.commands import Changed, Commands, existing, refuse_config_managed
from upstatd.config.catalog import Link, ServiceSpec, check_url
from upstatd.config.check import Invalid as FileInvalid
from upstatd.config.schema import Config
from upstatd.errors import Conflict, Invalid, NotFound
from upstatd.events import Event, EventBus
from upstatd.ids import new_id
from upstatd.store import catalog as catalog_reads
from upstatd.store import services as store
from upstatd.store.services import ServiceRow
from upstatd.store.writer import Writer
from upstatd.subjects import record

log = structlog.get_logger("upstatd.catalog")
OWNER_NOUNS = {"user": "person", "schedule": "on-call schedule"}


def find(conn: sqlite3.Connection, service_id: str) -> ServiceRow:
    return existing(store.get(conn, service_id), "service", service_id)


def named(conn: sqlite3.Connection, service_ids: list[str]) -> str:
    """"api (svc_…) -> postgres (svc_…)": a path of services by names and ids."""
    names = {row.id: row.name for row in store.every(conn)}
    return " -> ".join(f"{names.get(service_id, service_id)} ({service_id})" for service_id in service_ids)


def subject_service(conn: sqlite3.Connection, ref: str | None, param: str = "service_id") -> str | None:
    """A monitor's or heartbeat's service_id (a svc_ id, or a config key) as the id; None stays
    None (no service); one naming no service refused, naming the param."""
    if ref is None:
        return None
    found = store.resolve(conn, ref)
    if found is None:
        raise Invalid(f"{param}: no service with id '{ref[:100]}'", param)
    return found


def with_service(conn: sqlite3.Connection, spec: Any) -> Any:
    """A monitor's or heartbeat's spec with its service as an id (checked)."""
    return msgspec.structs.replace(spec, service=subject_service(conn, spec.service))


def checked_owner(conn: sqlite3.Connection, owner: Any) -> tuple[str, str] | None:
    if owner is None:
        return None
    if owner.type not in OWNER_NOUNS:
        raise Invalid(f"owner.type: must be one of user, schedule, got '{owner.type[:100]}'", "owner.type")
    found = store.owner_id(conn, owner.type, owner.id)
    if found is None:
        raise Invalid(f"owner.id: no {OWNER_NOUNS[owner.type]} with id or key '{owner.id[:100]}'", "owner.id")
    return owner.type, found


def checked_links(links: list) -> tuple[Link, ...]:
    out = []
    for index, link in enumerate(links):
        if not 1 <= len(link.title) <= 200:
            raise Invalid(f"links.{index}.title: must be 1 to 200 characters, got {len(link.title)}",
                          f"links.{index}.title")
        try:
            out.append(Link(link.title, check_url(link.url)))
        except FileInvalid as exc:
            raise Invalid(f"links.{index}.url: {exc}", f"links.{index}.url") from None
    return tuple(out)


def checked_text(name: str, value: Any, low: int, high: int) -> Any:
    if isinstance(value, str) and not low <= len(value) <= high:
        raise Invalid(f"{name}: must be {low} to {high} characters, got {len(value)}", name)
    return value


def checked_tier(tier: Any) -> Any:
    if isinstance(tier, int) and not 1 <= tier <= 4:
        raise Invalid(f"tier: must be 1 to 4, got {tier}", "tier")
    return tier


def checked_tags(tags: Any) -> Any:
    for index, tag in enumerate(tags if isinstance(tags, list) else ()):
        if not tag:
            raise Invalid(f"tags.{index}: must not be empty", f"tags.{index}")
    return tags


def refuse_cycle(conn: sqlite3.Connection, service_id: str, depends_on_id: str, param: str) -> None:
    found = catalog_graph.cycle(catalog_reads.graph(conn).needs, service_id, depends_on_id)
    if found is not None:
        raise Invalid(f"{param}: {depends_on_id} would make a cycle: {named(conn, found)}", param, "dependency_cycle")


class ServiceCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Any, bus: EventBus,
                 config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus
        self.config = config

    async def get(self, service_id: str) -> ServiceRow:
        return await self.read_db.call(find, service_id)

    def _editable(self, row: ServiceRow, verb: str) -> None:
        refuse_config_managed(row, 'service', 'services', self.config().file, verb)

    def _event(self, conn: sqlite3.Connection, action: str, row: ServiceRow, now_ms: int,
               data: dict | None = None) -> Event:
        obj = data if data is not None else service_data(conn, row)
        return record(self.bus, conn, "service", action, obj, row.id, now_ms / 1000)[0]

    def _touched(self, conn: sqlite3.Connection, service_ids: list[str], now_ms: int) -> list[Event]:
        """`updated` for services whose edges changed (their shapes list them)."""
        events = []
        for service_id in dict.fromkeys(service_ids):
            store.touch(conn, service_id, now_ms)
            row = store.get(conn, service_id)
            if row is not None:
                events.append(self._event(conn, "updated", row, now_ms))
        return events

    async def _publish(self, job: Callable[[sqlite3.Connection], tuple[Any, list[Event]]]) -> Any:
        row, events = await self.writer.run(job)
        for event in events:
            self.bus.publish(event)
        return row

    async def create(self, body: Any) -> Changed:
        checked_text("name", body.name, 1, 200)
        description = "" if body.description is msgspec.UNSET else checked_text("description", body.description,
                                                                                  0, 2000)
        tier = None if body.tier is msgspec.UNSET else checked_tier(body.tier)
        links = () if body.links is msgspec.UNSET else checked_links(body.links)
        tags = () if body.tags is msgspec.UNSET else tuple(dict.fromkeys(checked_tags(body.tags)))
        meta = metadata.merge({}, metadata.validate(body.metadata)) if body.metadata is not msgspec.UNSET else {}
        depends_on = [] if body.depends_on is msgspec.UNSET else list(dict.fromkeys(body.depends_on))
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[ServiceRow, list[Event]]:
            owner = None if body.owner is msgspec.UNSET else checked_owner(conn, body.owner)
            targets = []
            for index, ref in enumerate(depends_on):
                found = store.resolve(conn, ref)
                if found is None:
                    raise Invalid(f"depends_on.{index}: no service with id '{ref[:100]}'", f"depends_on.{index}")
                targets.append(found)
            row = store.insert(conn, new_id("svc"), None, "api",
                               (body.name, description, owner, tier, links, tags, meta), now_ms)
            for target in targets:  # a new service has no dependents: no cycle can close
                store.add_edge(conn, row.id, target, "api", now_ms)
            return row, [self._event(conn, "created", row, now_ms), *self._touched(conn, targets, now_ms)]

        return Changed(await self._publish(write), True)

    async def update(self, service_id: str, body: Any) -> Changed:
        """PATCH and PUT (partial)."""
        given = {name for name in body.__struct_fields__ if getattr(body, name) is not msgspec.UNSET}
        patch = None if body.metadata is msgspec.UNSET else metadata.validate(body.metadata)
        checked_text("name", body.name, 1, 200)
        checked_text("description", body.description, 0, 2000)
        checked_tier(body.tier)
        links = None if body.links is msgspec.UNSET else checked_links(body.links)
        checked_tags(body.tags)
        row = await self.read_db.call(find, service_id)
        if given:
            self._editable(row, "changed")
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[ServiceRow, list[Event]]:
            current = find(conn, service_id)
            name, description, owner, tier, stored_links, tags, meta = current.fields()
            wanted = (
                name if body.name is msgspec.UNSET else body.name,
                description if body.description is msgspec.UNSET else body.description,
                owner if body.owner is msgspec.UNSET else checked_owner(conn, body.owner),
                tier if body.tier is msgspec.UNSET else body.tier,
                stored_links if links is None else links,
                tags if body.tags is msgspec.UNSET else tuple(dict.fromkeys(body.tags)),
                meta if patch is None else metadata.merge(meta, patch))
            if wanted == current.fields():
                return current, []
            updated = store.update(conn, current, wanted, now_ms)
            return updated, [self._event(conn, "updated", updated, now_ms)]

        return Changed(await self._publish(change), True)

    async def delete(self, service_id: str) -> Changed:
        row = await self.read_db.call(find, service_id)
        self._editable(row, "deleted")
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple[None, list[Event]]:
            current = find(conn, service_id)
            needing = store.dependents(conn, service_id)
            if needing:
                shown = ", ".join(f"{name} ({dependent})" for dependent, name in needing[:10])
                more = f" and {len(needing) - 10} more" if len(needing) > 10 else ""
                raise Conflict(f"service {service_id} ({current.name}) is needed by {shown}{more}: remove their "
                               f"dependencies on it first", "service_in_use", "id")
            data = service_data(conn, current)
            needed = [edge.depends_on_id for edge in store.edges_of(conn, service_id)]
            store.delete(conn, current)
            return None, [self._event(conn, "deleted", current, now_ms, data),
                          *self._touched(conn, needed, now_ms)]

        await self._publish(remove)
        return Changed(None, True)

    async def add_dependency(self, service_id: str, body: Any) -> Changed:
        """`service_id` needs body.depends_on_id from now on (an edge made over the API)."""
        now_ms = self._now_ms()

        def add(conn: sqlite3.Connection) -> tuple[ServiceRow, list[Event]]:
            current = find(conn, service_id)
            target = store.resolve(conn, body.depends_on_id)
            if target is None:
                raise Invalid(f"depends_on_id: no service with id '{body.depends_on_id[:100]}'", "depends_on_id")
            if store.edge(conn, current.id, target) is not None:
                return current, []
            refuse_cycle(conn, current.id, target, "depends_on_id")
            store.add_edge(conn, current.id, target, "api", now_ms)
            events = self._touched(conn, [current.id, target], now_ms)
            return store.get(conn, current.id), events

        return Changed(await self._publish(add), True)

    async def remove_dependency(self, service_id: str, depends_on_id: str) -> Changed:
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple[None, list[Event]]:
            current = find(conn, service_id)
            found = store.edge(conn, current.id, depends_on_id)
            if found is None:
                raise NotFound(f"service {service_id} does not depend on '{depends_on_id[:100]}'", "depends_on_id")
            if found.managed_by == "config":
                file = self.config().file
                raise Conflict(f"the dependency of service {service_id} on {depends_on_id} is managed by the config "
                               f"file {file} (services entry with key '{current.key}', depends_on), so it cannot "
                               f"be removed over the API: change it in {file} and reload", "managed_by_config")
            store.remove_edge(conn, current.id, depends_on_id)
            return None, self._touched(conn, [current.id, depends_on_id], now_ms)

        await self._publish(remove)
        return Changed(None, True)

    async def reconcile(self, specs: tuple[ServiceSpec, ...]) -> None:
        """Start and SIGHUP (after people, schedules and escalation policies, whom owners name):
        make the config services and their edges match the file (API rows stay), then every
        monitor's and heartbeat's service column follow what their specs name."""
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[list[str], list[Event]]:
            before = {row.id: service_data(conn, row) for row in store.every(conn)}
            stored = store.config_rows(conn)
            wanted = {spec.key for spec in specs}
            kept, problems = [], []
            for key, row in stored.items():
                if key in wanted:
                    continue
                if store.needed_over_the_api(conn, row.id):
                    kept.append(row.id)  # a service made over the API still needs it: left in place
                    continue
                store.delete(conn, row)
            ids = {}
            for spec in specs:
                fields = store.spec_fields(conn, spec)
                row = stored.get(spec.key)
                if row is None:
                    row = store.insert(conn, new_id("svc"), spec.key, "config", fields, now_ms)
                elif row.fields() != fields:
                    row = store.update(conn, row, fields, now_ms)
                ids[spec.key] = row.id
            file_edges = {(ids[spec.key], ids[target]) for spec in specs for target in spec.depends_on
                          if target in ids}
            for edge in store.config_edges(conn):
                if (edge.service_id, edge.depends_on_id) not in file_edges:
                    store.remove_edge(conn, edge.service_id, edge.depends_on_id)
            for spec in specs:
                for target in spec.depends_on:
                    if target not in ids:
                        continue
                    pair = (ids[spec.key], ids[target])
                    existing_edge = store.edge(conn, *pair)
                    if existing_edge is not None and existing_edge.managed_by == "config":
                        continue
                    found = catalog_graph.cycle(catalog_reads.graph(conn).needs, *pair) \
                        if existing_edge is None else None
                    if found is not None:  # with edges made over the API
                        problems.append(f"services.{spec.key}.depends_on: {target} left out: it would make a "
                                        f"cycle with dependencies made over the API: {named(conn, found)}")
                        continue
                    store.add_edge(conn, *pair, "config", now_ms)
            for table in store.SUBJECTS:
                store.link(conn, table)
            after = {row.id: row for row in store.every(conn)}
            events = []
            for service_id, row in after.items():
                data = service_data(conn, row)
                if service_id not in before:
                    events.append(self._event(conn, "created", row, now_ms, data))
                elif before[service_id] != data:
                    if row.updated_at != now_ms:
                        store.touch(conn, service_id, now_ms)
                        data = service_data(conn, store.get(conn, service_id))
                    events.append(self._event(conn, "updated", row, now_ms, data))
            for service_id, data in before.items():
                if service_id not in after:
                    events.append(record(self.bus, conn, "service", "deleted", data, service_id, now_ms / 1000)[0])
            return [*(f"service {service_id} left in place: a service made over the API needs it"
                      for service_id in kept), *problems], events

        for problem in await self._publish(write):
            log.error("service.reconcile_problem", file=self.config().file, problem=problem)
