"""Webhook endpoint use cases: create, update (enable, disable), delete,
rotate the secret, send a test ping, and reconcile the config file's
endpoints. Each validates, runs one writer transaction (the change and, for a
disable, its `webhook_endpoint.disabled` event), then makes the running
consumers follow (WebhookDispatcher.sync) and returns what changed.

Routes and SIGHUP call these; none of them writes SQL or builds an event.
Refusals are domain errors (upstatd/errors.py).

Events: a disable over the API records `webhook_endpoint.disabled`, as the
dispatcher's disable after 24 hours of failures does (the same serializer:
delivery/public.py). Creating, changing, enabling, deleting and rotating
record no event: there are no event types for them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, NamedTuple

from upstatd import metadata
from upstatd.clock import Clock
from upstatd.commands import Commands, refuse_config_managed
from upstatd.config import check
from upstatd.config.schema import Config
from upstatd.config.webhooks import WebhookSpec, parse_events, parse_url
from upstatd.delivery import public
from upstatd.delivery.public import MAX_DESCRIPTION, UNSET
from upstatd.delivery.webhooks import WebhookDispatcher
from upstatd.errors import Invalid, NotFound
from upstatd.events import Event, EventBus, ResourceChanged
from upstatd.ids import new_id
from upstatd.store import webhooks as store
from upstatd.store.db import Database
from upstatd.store.webhooks import EndpointRow
from upstatd.store.writer import Writer

DISABLED_OVER_THE_API = "disabled over the API"


class Changed(NamedTuple):
    row: EndpointRow | None          # the endpoint after the change (None once deleted)
    changed: bool                    # False: nothing changed, nothing written
    events: list[ResourceChanged]    # the events recorded with the change (webhook_endpoint.disabled)
    secret: str | None = None        # the secret just made (create, rotate-secret): shown once


class Sent(NamedTuple):
    row: EndpointRow                 # the endpoint pinged
    delivery: tuple                  # its delivery row (store.webhooks.DELIVERY_COLUMNS)


def find(conn: sqlite3.Connection, endpoint_id: str) -> EndpointRow:
    row = store.get(conn, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint with id '{endpoint_id}'")
    return row


def checked(parser: Callable[[Any], Any], value: Any, param: str) -> Any:
    """The config file's own check of a value; its complaint names the API param (422)."""
    try:
        return parser(value)
    except check.Invalid as exc:
        where = param + "".join(f".{part}" for part in exc.at)
        raise Invalid(f"{where}: {exc}", where) from None


def checked_description(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_DESCRIPTION:
        raise Invalid(f"description must be at most {MAX_DESCRIPTION} characters long, got {len(value)} characters",
                      "description")
    return value


class WebhookEndpointCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, dispatcher: WebhookDispatcher,
                 bus: EventBus, config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.dispatcher = dispatcher
        self.bus = bus
        self.config = config  # the running config (the file's name)

    # -- helpers -------------------------------------------------------------------

    def _event(self, conn: sqlite3.Connection, action: str, row: EndpointRow, at: float,
               reason: str | None = None) -> tuple[Event, ResourceChanged]:
        """webhook_endpoint.<action> with the public shape, inside the change's transaction."""
        event = self.bus.record(conn, f"webhook_endpoint.{action}", public.endpoint_data(row), at,
                                {"reason": reason} if reason else None)
        return event, ResourceChanged("webhook_endpoint", action, row.id, at, reason)

    def _editable(self, row: EndpointRow, verb: str) -> None:
        refuse_config_managed(row, 'webhook endpoint', 'webhooks', self.config().file, verb, 'enabling and disabling work over the API')

    async def get(self, endpoint_id: str) -> EndpointRow:
        return await self.read_db.call(find, endpoint_id)

    # -- use cases ---------------------------------------------------------------------

    async def create(self, body: public.EndpointCreate) -> Changed:
        """A new endpoint gets the events from then on, not the history."""
        url = checked(parse_url, body.url, "url")
        events = checked(parse_events, body.events, "events")
        description = checked_description(body.description)
        meta = metadata.merge({}, metadata.validate(body.metadata))
        secret = store.new_secret()
        endpoint_id = new_id("we")
        now_ms = self._now_ms()
        row = await self.writer.run(lambda conn: store.insert(
            conn, endpoint_id, url, events, secret, body.enabled, description, meta, now_ms))
        await self.dispatcher.sync()
        return Changed(row, True, [], secret)

    async def update(self, endpoint_id: str, body: public.EndpointUpdate) -> Changed:
        """PATCH and PUT (a partial update). A change that changes nothing writes nothing.
        A config endpoint can only be enabled and disabled."""
        url = UNSET if body.url is UNSET else checked(parse_url, body.url, "url")
        events = UNSET if body.events is UNSET else checked(parse_events, body.events, "events")
        description = checked_description(body.description)
        patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[EndpointRow, bool, Event | None, ResourceChanged | None]:
            row = find(conn, endpoint_id)
            if any(value is not UNSET for value in (url, events, description, body.metadata)):
                self._editable(row, "changed")
            fields = (row.url if url is UNSET else url, row.events if events is UNSET else events,
                      row.description if description is UNSET else description,
                      row.metadata if patch is None else metadata.merge(row.metadata, patch))
            enabled = row.enabled if body.enabled is UNSET else body.enabled
            edited = fields != (row.url, row.events, row.description, row.metadata)
            if not edited and enabled == row.enabled:
                return row, False, None, None
            if edited:
                store.update(conn, row, *fields, now_ms)
            if enabled != row.enabled:
                # a config endpoint remembers it was disabled here: a reload keeps it disabled
                reason = None if enabled or row.managed_by == "api" else DISABLED_OVER_THE_API
                store.set_enabled(conn, row, enabled, now_ms, reason=reason)
            changed = store.by_seq(conn, row.seq)
            if enabled or not row.enabled:
                return changed, True, None, None
            return (changed, True, *self._event(conn, "disabled", changed, now_ms / 1000, DISABLED_OVER_THE_API))

        row, edited, event, recorded = await self.writer.run(change)
        if not edited:
            return Changed(row, False, [])
        if event is not None:
            self.bus.publish(event)
        await self.dispatcher.sync()
        return Changed(row, True, [] if recorded is None else [recorded])

    async def delete(self, endpoint_id: str) -> Changed:
        """With its delivery history. Its consumer stops first: no attempt lands after its rows go."""
        row = await self.read_db.call(find, endpoint_id)
        self._editable(row, "deleted")
        await self.dispatcher.remove(endpoint_id)

        def remove(conn: sqlite3.Connection) -> None:
            store.delete(conn, [find(conn, endpoint_id).seq])

        try:
            await self.writer.run(remove)
        finally:
            await self.dispatcher.sync()  # still there (the transaction failed): it runs again
        return Changed(None, True, [])

    async def rotate_secret(self, endpoint_id: str) -> Changed:
        """A new secret (whsec_…), shown once; deliveries from then on are signed with it."""
        secret = store.new_secret()
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> EndpointRow:
            row = find(conn, endpoint_id)
            self._editable(row, "given a new secret")
            store.set_secret(conn, row, secret, now_ms)
            return store.by_seq(conn, row.seq)

        row = await self.writer.run(change)
        await self.dispatcher.sync()
        return Changed(row, True, [], secret)

    async def send_test(self, endpoint_id: str) -> Sent:
        """POST a `ping` event (its data.object: the endpoint) once, enabled or not; the
        attempt is recorded as a delivery, the ping is not stored as an event, never retried."""
        row = await self.read_db.call(find, endpoint_id)
        now = self.clock.time()
        event = Event(new_id("evt"), "ping", now, public.endpoint_data(row))
        attempt = await self.dispatcher.send_once(row, event)
        ledger = store.ledger(row.seq)

        def record(conn: sqlite3.Connection) -> tuple:
            find(conn, endpoint_id)  # deleted meanwhile: no orphan delivery
            seq = ledger.record(conn, event.id, event.type, 1, round(now * 1000), attempt, None)
            return store.delivery(conn, seq)

        return Sent(row, await self.writer.run(record))

    async def reconcile(self, specs: tuple[WebhookSpec, ...]) -> None:
        """Start and SIGHUP: make the config endpoints match the file. Removed ones stop
        before their rows go; a consumer started honours the retry wait its event had."""
        await self.dispatcher.retain({spec.key for spec in specs})
        now_ms = self._now_ms()
        await self.writer.run(lambda conn: store.reconcile(conn, specs, now_ms))
        await self.dispatcher.sync(resume_waits=True)
