"""Status page use cases: pages, their sections and resources, and status
reports with their updates. Each validates (domain errors naming the API
param), runs one writer transaction that writes the rows and records the
event, then publishes it. A change that changes nothing writes nothing.

Events: `status_page.created/updated/deleted` with the page's public shape (a
section or resource change is the page's `updated`, with the reason
`section.created`, `resource.deleted`, ...); `status_report.created/updated`
with the report's (an appended update is an `updated`, reason its status), and
`status_report.deleted`. A logo put or removed is the page's `updated` (reason
`logo.updated`, `logo.deleted`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

from upstatd import metadata
from upstatd.clock import Clock
from upstatd.commands import Commands
from upstatd.errors import Conflict, Invalid, NotFound
from upstatd.events import EventBus
from upstatd.heartbeats.schedule import TIMEZONES
from upstatd.ids import new_id
from upstatd.status_pages import logo, public
from upstatd.status_pages.password import hash_password
from upstatd.status_pages.public import UNSET
from upstatd.store import incidents as incident_store
from upstatd.store import status_pages as store
from upstatd.store.db import Database
from upstatd.store.status_pages import PageRow, ReportRow, ResourceRow, SectionRow
from upstatd.store.writer import Writer
from upstatd.subjects import Changed, record, run



def find(conn: sqlite3.Connection, page_id: str) -> PageRow:
    row = store.get(conn, page_id)
    if row is None:
        raise NotFound(f"no status page with id '{page_id}'")
    return row


def _child(found: Any, what: str, child_id: str, page_id: str, param: str) -> Any:
    if found is None:
        raise NotFound(f"no {what} with id '{child_id}' on status page {page_id}", param)
    return found


def find_section(conn: sqlite3.Connection, page: PageRow, section_id: str) -> SectionRow:
    return _child(store.section(conn, page.seq, section_id), "section", section_id, page.id, "section_id")


def find_resource(conn: sqlite3.Connection, page: PageRow, resource_id: str) -> ResourceRow:
    return _child(store.resource(conn, page.seq, resource_id), "resource", resource_id, page.id, "resource_id")


def find_report(conn: sqlite3.Connection, page: PageRow, report_id: str) -> ReportRow:
    return _child(store.report(conn, page.seq, report_id), "status report", report_id, page.id, "report_id")


def checked_timezone(value: Any) -> Any:
    if value is not UNSET and value not in TIMEZONES:
        raise Invalid(f"timezone: unknown time zone '{str(value)[:60]}' (an IANA name, like Europe/Paris)",
                      "timezone")
    return value


def unique(conn: sqlite3.Connection, column: str, value: str | None, seq: int = 0) -> None:
    """slug and custom_domain name one page each."""
    owner = store.owner_of(conn, column, value, seq)
    if owner is not None:
        raise Conflict(f"{column} '{value}' is taken by status page {owner}", f"{column}_taken", column)


def section_seq(conn: sqlite3.Connection, page: PageRow, section_id: str | None) -> int | None:
    if section_id is None:
        return None
    found = store.section(conn, page.seq, section_id)
    if found is None:
        raise Invalid(f"section_id: no section with id '{section_id[:60]}' on status page {page.id}", "section_id")
    return found.seq


def affected(conn: sqlite3.Connection, page: PageRow, ids: list[str]) -> list[str]:
    """The page's own resources, each once, in the order given."""
    ids = list(dict.fromkeys(ids))
    for index, resource_id in enumerate(ids):
        if store.resource(conn, page.seq, resource_id) is None:
            raise Invalid(f"no resource with id '{resource_id[:60]}' on status page {page.id}",
                          f"affected_resource_ids.{index}")
    return ids


def known_incident(conn: sqlite3.Connection, incident_id: str | None) -> str | None:
    if incident_id is not None and incident_store.get(conn, incident_id) is None:
        raise Invalid(f"incident_id: no incident with id '{incident_id[:60]}'", "incident_id")
    return incident_id


class StatusPageCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, bus: EventBus) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus

    def _page_event(self, conn: sqlite3.Connection, action: str, row: PageRow, at_ms: int,
                    reason: str | None = None) -> tuple:
        return record(self.bus, conn, "status_page", action, public.page_object(row), row.id, at_ms / 1000, reason)

    def _report_event(self, conn: sqlite3.Connection, action: str, page: PageRow, row: ReportRow, at_ms: int,
                      reason: str | None = None) -> tuple:
        return record(self.bus, conn, "status_report", action, public.report_object(row, page.id), row.id,
                      at_ms / 1000, reason)

    async def _password(self, given: Any) -> Any:
        """The hash of a password given (scrypt is slow: off the loop); None and UNSET as they are."""
        return await asyncio.to_thread(hash_password, given) if isinstance(given, str) else given

    # -- pages ------------------------------------------------------------------------------

    async def get(self, page_id: str) -> PageRow:
        return await self.read_db.call(find, page_id)

    async def create(self, body: public.StatusPageCreate) -> Changed:
        checked_timezone(body.timezone)
        fields = {"name": body.name, "slug": body.slug, "custom_domain": _host(body.custom_domain),
                  "accent_color": _color(body.accent_color),
                  "footer_text": body.footer_text, "password_hash": await self._password(body.password),
                  "timezone": body.timezone, "published": body.published,
                  "metadata": metadata.merge({}, metadata.validate(body.metadata))}
        page_id, now_ms = new_id("stp"), self._now_ms()

        def create(conn: sqlite3.Connection) -> tuple:
            unique(conn, "slug", fields["slug"])
            unique(conn, "custom_domain", fields["custom_domain"])
            row = store.insert_page(conn, page_id, fields, now_ms)
            return (row, *self._page_event(conn, "created", row, now_ms))

        return await run(self.writer, self.bus, create)

    async def update(self, page_id: str, body: public.StatusPageUpdate) -> Changed:
        """Only what is given changes; a password given replaces the stored one (null removes it)."""
        checked_timezone(body.timezone)
        patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
        given = {"name": body.name, "slug": body.slug, "custom_domain": _host(body.custom_domain),
                 "accent_color": _color(body.accent_color),
                 "footer_text": body.footer_text, "password_hash": await self._password(body.password),
                 "timezone": body.timezone, "published": body.published}
        given = {name: value for name, value in given.items() if value is not UNSET}
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple:
            row = find(conn, page_id)
            fields = {name: getattr(row, name) for name in store.PAGE_FIELDS}
            fields.update(given)
            if patch is not None:
                fields["metadata"] = metadata.merge(row.metadata, patch)
            if fields == {name: getattr(row, name) for name in store.PAGE_FIELDS}:
                return row, None, None
            unique(conn, "slug", fields["slug"], row.seq)
            unique(conn, "custom_domain", fields["custom_domain"], row.seq)
            after = store.update_page(conn, row.seq, fields, now_ms)
            return (after, *self._page_event(conn, "updated", after, now_ms))

        return await run(self.writer, self.bus, change)

    async def delete(self, page_id: str) -> Changed:
        """With its sections, resources and reports."""
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple:
            row = find(conn, page_id)
            event = self._page_event(conn, "deleted", row, now_ms)
            store.delete_page(conn, row.seq)
            return (None, *event)

        return await run(self.writer, self.bus, remove)

    async def put_logo(self, page_id: str, content_type: str, data: bytes) -> Changed:
        """The page's logo, replacing any; -> the page (its logo_url the new image's)."""
        media, etag = logo.checked(content_type, data)
        now_ms = self._now_ms()

        def put(conn: sqlite3.Connection) -> tuple:
            row = find(conn, page_id)
            if row.logo_etag == etag:
                return row, None, None
            store.put_logo(conn, row.seq, media, data, etag, now_ms)
            after = store.touch_page(conn, row.seq, now_ms)
            return (after, *self._page_event(conn, "updated", after, now_ms, "logo.updated"))

        return await run(self.writer, self.bus, put)

    async def delete_logo(self, page_id: str) -> Changed:
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple:
            row = find(conn, page_id)
            if not store.delete_logo(conn, row.seq):
                raise NotFound(f"status page {page_id} has no logo")
            after = store.touch_page(conn, row.seq, now_ms)
            return (after, *self._page_event(conn, "updated", after, now_ms, "logo.deleted"))

        return await run(self.writer, self.bus, remove)

    # -- sections ---------------------------------------------------------------------------

    async def get_section(self, page_id: str, section_id: str) -> SectionRow:
        return await self.read_db.call(lambda conn: find_section(conn, find(conn, page_id), section_id))

    async def create_section(self, page_id: str, body: public.SectionCreate) -> Changed:
        section_id, labels = new_id("sps"), _labels(body.metadata)
        return await self._children(page_id, "section.created", lambda conn, page, now_ms: store.insert_section(
            conn, page.seq, section_id, body.name, body.position, now_ms, labels))

    async def update_section(self, page_id: str, section_id: str, body: public.SectionUpdate) -> Changed:
        patch = _patch(body.metadata)

        def change(conn: sqlite3.Connection, page: PageRow, now_ms: int) -> Any:
            row = find_section(conn, page, section_id)
            name = row.name if body.name is UNSET else body.name
            position = row.position if body.position is UNSET else body.position
            labels = _merged(row.metadata, patch)
            if (name, position, labels) == (row.name, row.position, row.metadata):
                return row, False
            return store.update_section(conn, row, name, position, now_ms, labels), True
        return await self._children(page_id, "section.updated", change, may_not_change=True)

    async def delete_section(self, page_id: str, section_id: str) -> Changed:
        """Its resources stay on the page, outside any section."""
        def change(conn: sqlite3.Connection, page: PageRow, now_ms: int) -> Any:
            store.delete_section(conn, find_section(conn, page, section_id), now_ms)
            return None
        return await self._children(page_id, "section.deleted", change)

    # -- resources --------------------------------------------------------------------------

    async def get_resource(self, page_id: str, resource_id: str) -> ResourceRow:
        return await self.read_db.call(lambda conn: find_resource(conn, find(conn, page_id), resource_id))

    async def create_resource(self, page_id: str, body: public.ResourceCreate) -> Changed:
        given = [name for name in public.SUBJECTS if getattr(body, name) is not None]
        if len(given) != 1:
            raise Invalid(f"give exactly one of monitor_id, heartbeat_id, group_id (got "
                          f"{', '.join(given) or 'none'})", given[1] if len(given) > 1 else "monitor_id")
        kind, param = given[0].removesuffix("_id"), given[0]
        ref = getattr(body, param)
        resource_id = new_id("spr")

        def change(conn: sqlite3.Connection, page: PageRow, now_ms: int) -> ResourceRow:
            found = store.subject(conn, kind, ref)
            if found is None:
                what = "group with id" if kind == "group" else f"{kind} with id or key"
                raise Invalid(f"{param}: no {what} '{ref[:60]}'", param)
            seq, subject_id, name = found
            shown = store.showing(conn, page.seq, kind, seq)
            if shown is not None:
                raise Conflict(f"status page {page.id} already shows {kind} {subject_id} (resource {shown})",
                               "resource_exists", param)
            return store.insert_resource(conn, page.seq, resource_id, section_seq(conn, page, body.section_id),
                                         body.position, kind, seq, subject_id, body.public_name or name,
                                         body.show_uptime, now_ms, _labels(body.metadata))

        return await self._children(page_id, "resource.created", change)

    async def update_resource(self, page_id: str, resource_id: str, body: public.ResourceUpdate) -> Changed:
        patch = _patch(body.metadata)

        def change(conn: sqlite3.Connection, page: PageRow, now_ms: int) -> Any:
            row = find_resource(conn, page, resource_id)
            section = row.section_seq if body.section_id is UNSET else section_seq(conn, page, body.section_id)
            values = (section, row.position if body.position is UNSET else body.position,
                      row.public_name if body.public_name is UNSET else body.public_name,
                      row.show_uptime if body.show_uptime is UNSET else body.show_uptime,
                      _merged(row.metadata, patch))
            if values == (row.section_seq, row.position, row.public_name, row.show_uptime, row.metadata):
                return row, False
            return store.update_resource(conn, row, *values, now_ms), True
        return await self._children(page_id, "resource.updated", change, may_not_change=True)

    async def delete_resource(self, page_id: str, resource_id: str) -> Changed:
        """Reports that named it no longer do."""
        def change(conn: sqlite3.Connection, page: PageRow, now_ms: int) -> Any:
            store.delete_resource(conn, find_resource(conn, page, resource_id))
            return None
        return await self._children(page_id, "resource.deleted", change)

    async def _children(self, page_id: str, reason: str, change: Callable[[sqlite3.Connection, PageRow, int], Any],
                        may_not_change: bool = False) -> Changed:
        """A section or resource changed: `change(conn, page, now_ms)` -> the child after (with
        `may_not_change`: (child, whether it changed)). The page's `updated` event goes with it."""
        now_ms = self._now_ms()

        def job(conn: sqlite3.Connection) -> tuple:
            page = find(conn, page_id)
            child, changed = change(conn, page, now_ms) if may_not_change else (change(conn, page, now_ms), True)
            if not changed:
                return child, None, None
            page = store.touch_page(conn, page.seq, now_ms)
            return (child, *self._page_event(conn, "updated", page, now_ms, reason))

        return await run(self.writer, self.bus, job)

    # -- reports ----------------------------------------------------------------------------

    async def get_report(self, page_id: str, report_id: str) -> ReportRow:
        return await self.read_db.call(lambda conn: find_report(conn, find(conn, page_id), report_id))

    async def create_report(self, page_id: str, body: public.ReportCreate) -> Changed:
        """The report and its first update."""
        report_id, now_ms, labels = new_id("rpt"), self._now_ms(), _labels(body.metadata)

        def create(conn: sqlite3.Connection) -> tuple:
            page = find(conn, page_id)
            seq = store.insert_report(conn, page.seq, report_id, body.title, known_incident(conn, body.incident_id),
                                      affected(conn, page, body.affected_resource_ids), now_ms, labels)
            store.append_update(conn, seq, body.status, body.message, now_ms)
            row = store.report(conn, page.seq, report_id)
            return (row, *self._report_event(conn, "created", page, row, now_ms))

        return await run(self.writer, self.bus, create)

    async def update_report(self, page_id: str, report_id: str, body: public.ReportUpdate) -> Changed:
        """Title, incident, affected resources, metadata; the status moves with `add_update`."""
        now_ms, patch = self._now_ms(), _patch(body.metadata)

        def change(conn: sqlite3.Connection) -> tuple:
            page = find(conn, page_id)
            row = find_report(conn, page, report_id)
            values = (row.title if body.title is UNSET else body.title,
                      row.incident_id if body.incident_id is UNSET else known_incident(conn, body.incident_id),
                      row.affected if body.affected_resource_ids is UNSET
                      else affected(conn, page, body.affected_resource_ids), _merged(row.metadata, patch))
            if values == (row.title, row.incident_id, row.affected, row.metadata):
                return row, None, None
            store.update_report(conn, row.seq, *values, now_ms)
            after = store.report(conn, page.seq, report_id)
            return (after, *self._report_event(conn, "updated", page, after, now_ms))

        return await run(self.writer, self.bus, change)

    async def add_update(self, page_id: str, report_id: str, body: public.ReportUpdateCreate) -> Changed:
        """An update appended: the report's status is its last update's (resolved when that is)."""
        now_ms = self._now_ms()

        def append(conn: sqlite3.Connection) -> tuple:
            page = find(conn, page_id)
            row = find_report(conn, page, report_id)
            store.append_update(conn, row.seq, body.status, body.message, now_ms)
            after = store.report(conn, page.seq, report_id)
            return (after, *self._report_event(conn, "updated", page, after, now_ms, body.status))

        return await run(self.writer, self.bus, append)

    async def delete_report(self, page_id: str, report_id: str) -> Changed:
        """With its updates; the event carries the report as it was."""
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple:
            page = find(conn, page_id)
            row = find_report(conn, page, report_id)
            event = self._report_event(conn, "deleted", page, row, now_ms)
            store.delete_report(conn, row.seq)
            store.touch_page(conn, page.seq, now_ms)  # what the public page keeps sees no row go otherwise
            return (None, *event)

        return await run(self.writer, self.bus, remove)


def _labels(given: dict) -> dict[str, str]:
    """A new object's metadata."""
    return metadata.merge({}, metadata.validate(given))


def _patch(given: Any) -> dict[str, str] | None:
    return None if given is UNSET else metadata.validate(given)


def _merged(old: dict[str, str], patch: dict[str, str] | None) -> dict[str, str]:
    return old if patch is None else metadata.merge(old, patch)


def _host(value: Any) -> Any:
    """Host names compare without case."""
    return value.lower() if isinstance(value, str) else value


def _color(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
