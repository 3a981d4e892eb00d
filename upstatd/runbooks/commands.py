"""Runbook use cases: create, update, delete, reconcile the config file's
runbooks, and mark a runbook's step done on an incident. Each is one writer
transaction that records its event in it (`runbook.created|updated|deleted`;
`incident.updated` with reason `runbook_step`), published after the commit.

Every version is kept: a change of title, body, steps or tags writes the next
one (its author the token's name, or "config"); links and metadata alone keep
the version. Links name existing services, monitors, heartbeats or escalation
policies by id (422 naming linked_to). Runbooks of the config file can be read;
changes answer 409 managed_by_config.

A step is marked done once per incident (409 step_already_done the second
time, naming who and when): the timeline says who did what, and a retried
request is safe with an Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec
import structlog

from upstatd import metadata
from upstatd.clock import Clock
from upstatd.commands import Commands, existing, refuse_config_managed
from upstatd.config.runbooks import MAX_BODY, MAX_LINKS, MAX_STEP, MAX_STEPS, RunbookSpec
from upstatd.config.schema import Config
from upstatd.errors import Conflict, Invalid, NotFound
from upstatd.events import Event, EventBus
from upstatd.ids import new_id
from upstatd.incidents import public as incident_public
from upstatd.incidents.commands import not_closed, on_loop
from upstatd.incidents.service import IncidentService
from upstatd.runbooks.public import runbook_data
from upstatd.store import incidents as incident_store
from upstatd.store import runbook_reads
from upstatd.store import runbooks as store
from upstatd.store.db import Database
from upstatd.store.incidents import Incident
from upstatd.store.runbook_reads import LinkedRunbook
from upstatd.store.runbooks import Content, RunbookRow, VersionRow
from upstatd.store.writer import Writer
from upstatd.subjects import Changed, record

log = structlog.get_logger("upstatd.runbooks")
TIMELINE_KIND = "runbook_step"
_VISIBLE = re.compile(r"\S")


def find(conn: sqlite3.Connection, runbook_id: str) -> RunbookRow:
    return existing(store.get(conn, runbook_id), "runbook", runbook_id)


def checked_content(title: str, body: str, steps: list[str], tags: list[str]) -> Content:
    """The API's content, each rule's error naming its param."""
    if not 1 <= len(title) <= 200:
        raise Invalid(f"title: must be 1 to 200 characters, got {len(title)}", "title")
    if len(body) > MAX_BODY:
        raise Invalid(f"body: must be at most {MAX_BODY} characters, got {len(body)}", "body")
    if not 1 <= len(steps) <= MAX_STEPS:
        raise Invalid(f"steps: must list 1 to {MAX_STEPS} steps, got {len(steps)}", "steps")
    for index, step in enumerate(steps):
        if not _VISIBLE.search(step) or len(step) > MAX_STEP:
            raise Invalid(f"steps.{index}: a step must be 1 to {MAX_STEP} characters, not only spaces",
                          f"steps.{index}")
    for index, tag in enumerate(tags):
        if not tag:
            raise Invalid(f"tags.{index}: a tag must not be empty", f"tags.{index}")
    return Content(title, body, tuple(steps), tuple(tags))


def checked_links(conn: sqlite3.Connection, targets: list[str]) -> list[str]:
    """Each id names an existing service, monitor, heartbeat or escalation policy."""
    if len(targets) > MAX_LINKS:
        raise Invalid(f"linked_to: must list at most {MAX_LINKS} ids, got {len(targets)}", "linked_to")
    for index, target in enumerate(targets):
        if not store.target_exists(conn, target):
            raise Invalid(f"linked_to: item {index}, '{target[:60]}', names no service (svc_…), monitor (mon_…), "
                          f"heartbeat (hbt_…) or escalation policy (esc_…)", "linked_to")
    return sorted(set(targets))


class RunbookCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, bus: EventBus, incidents: IncidentService,
                 config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus
        self.incidents = incidents
        self.config = config

    async def get(self, runbook_id: str) -> RunbookRow:
        return await self.read_db.call(find, runbook_id)

    async def version(self, runbook_id: str, number: int) -> VersionRow:
        def read(conn: sqlite3.Connection) -> VersionRow:
            row = find(conn, runbook_id)
            found = store.version(conn, runbook_id, number)
            if found is None:
                raise NotFound(f"runbook {runbook_id} has no version {number} (its versions are 1 to "
                               f"{row.version})", "version")
            return found
        return await self.read_db.call(read)

    async def for_incident(self, incident_id: str) -> list[LinkedRunbook]:
        return await self.read_db.call(runbook_reads.for_incident, incident_id)

    def _editable(self, row: RunbookRow, verb: str) -> None:
        refuse_config_managed(row, 'runbook', 'runbooks', self.config().file, verb)

    def _event(self, conn: sqlite3.Connection, action: str, row: RunbookRow, now_ms: int) -> Event:
        return record(self.bus, conn, "runbook", action, runbook_data(row), row.id, now_ms / 1000)[0]

    async def _publish(self, job: Callable[[sqlite3.Connection], tuple[Any, list[Event]]]) -> Any:
        result, events = await self.writer.run(job)
        for event in events:
            self.bus.publish(event)
        return result

    async def create(self, body: Any, author: str) -> Changed:
        content = checked_content(body.title, body.body, body.steps, body.tags)
        meta = metadata.merge({}, metadata.validate(body.metadata)) if body.metadata is not msgspec.UNSET else {}
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[RunbookRow, list[Event]]:
            targets = checked_links(conn, body.linked_to)
            row = store.insert(conn, new_id("rbk"), None, "api", content, meta, targets, author, now_ms)
            return row, [self._event(conn, "created", row, now_ms)]

        return Changed(await self._publish(write), [])

    async def update(self, runbook_id: str, body: Any, author: str) -> Changed:
        """PATCH and PUT (partial): a change of content is the next version."""
        patch = None if body.metadata is msgspec.UNSET else metadata.validate(body.metadata)
        given = {name for name in body.__struct_fields__ if getattr(body, name) is not msgspec.UNSET}
        row = await self.read_db.call(find, runbook_id)
        if given:
            self._editable(row, "changed")
        stored = row.content

        def pick(name: str, current: Any) -> Any:
            value = getattr(body, name)
            return current if value is msgspec.UNSET else value

        content = checked_content(pick("title", stored.title), pick("body", stored.body),
                                  list(pick("steps", stored.steps)), list(pick("tags", stored.tags)))
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[RunbookRow, list[Event]]:
            current = find(conn, runbook_id)
            if current.updated_at != row.updated_at or current.version != row.version:
                raise Conflict(f"runbook {runbook_id} changed meanwhile: send the change again", "changed_meanwhile")
            targets = None if body.linked_to is msgspec.UNSET else checked_links(conn, body.linked_to)
            meta = current.metadata if patch is None else metadata.merge(current.metadata, patch)
            updated = store.update(conn, current, content, meta, targets, author, now_ms)
            if updated is None:
                return current, []
            return updated, [self._event(conn, "updated", updated, now_ms)]

        return Changed(await self._publish(change), [])

    async def delete(self, runbook_id: str) -> Changed:
        row = await self.read_db.call(find, runbook_id)
        self._editable(row, "deleted")
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple[None, list[Event]]:
            current = find(conn, runbook_id)
            store.delete(conn, current.id)
            return None, [self._event(conn, "deleted", current, now_ms)]

        await self._publish(remove)
        return Changed(None, [])

    async def reconcile(self, specs: tuple[RunbookSpec, ...]) -> None:
        """Start and SIGHUP (after monitors, heartbeats, services and escalation policies, whose
        keys the runbooks name): make the config runbooks match the file."""
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[dict[str, list[str]], list[Event]]:
            added, updated, removed, missing = store.reconcile(conn, specs, now_ms)
            events = [self._event(conn, "created", row, now_ms) for row in added]
            events += [self._event(conn, "updated", row, now_ms) for row in updated]
            events += [self._event(conn, "deleted", row, now_ms) for row in removed]
            return missing, events

        for key, refs in (await self._publish(write)).items():
            log.warning("runbook.link_names_nothing", key=key, refs=refs, file=self.config().file)

    # -- on incidents ---------------------------------------------------------------------

    async def mark_step(self, incident_id: str, runbook_id: str, step: int, author: str) -> Incident:
        """Step `step` (1-based) of a runbook the incident shows, done by `author`: the mark, a
        timeline entry (kind runbook_step) and `incident.updated`, in one transaction."""
        loop = asyncio.get_running_loop()

        def bump(now: int) -> Incident | None:
            """On the loop: the memory's copy (a subject's latest) moved to `now`, kept."""
            tracked = self.incidents.tracked(incident_id)
            if tracked is None:
                return None
            tracked = tracked.replace(updated_at=now)
            self.incidents.remember(tracked)
            return tracked

        def job(conn: sqlite3.Connection) -> tuple[Incident, list[Event]]:
            current = self.incidents.find(conn, incident_id)
            not_closed(current, "changed")
            shown = {linked.id: linked for linked in runbook_reads.for_incident(conn, incident_id)}
            runbook = shown.get(runbook_id)
            if runbook is None:
                raise NotFound(f"incident {incident_id} shows no runbook with id '{runbook_id[:60]}' (it shows: "
                               f"{', '.join(shown) or 'none'})", "runbook_id")
            if not 1 <= step <= len(runbook.steps):
                raise Invalid(f"step: runbook {runbook_id} (version {runbook.version}) has steps 1 to "
                              f"{len(runbook.steps)}, got {step}", "step")
            for mark in runbook.steps_done:
                if mark["step"] == step:
                    raise Conflict(f"step {step} of runbook {runbook_id} was already marked done on this incident "
                                   f"by {mark['done_by']}", "step_already_done", "step")
            now = self._now_ms()
            store.mark_step(conn, incident_id, runbook_id, runbook.version, step, author, now)
            changed = on_loop(loop, lambda: bump(now)) or current.replace(updated_at=now)
            conn.execute(*incident_store.save_statement(changed))
            text = runbook.steps[step - 1]
            message = f"Step {step} of \u201c{runbook.title}\u201d done: {text} \u2014 by {author}"
            conn.execute(*incident_store.update_statement(incident_id, now, TIMELINE_KIND, changed.status,
                                                          message[:5000], author))
            event = self.bus.record(conn, "incident.updated", incident_public.as_json(changed), now / 1000,
                                    {"reason": TIMELINE_KIND})
            return changed, [event]

        return await self._publish(job)
