"""Webhook delivery: signed POSTs of events, retried, per endpoint in order.

Each enabled endpoint is an outbox consumer (delivery/outbox.py) named
`webhook:<id>`: its filter is the endpoint's patterns, its channel a
`WebhookChannel` (one signed POST through one shared aiohttp session, whose
kept-alive connection to the endpoint carries event after event; 10 s
timeout, redirects not followed), its place the endpoint's `cursor` and its
`webhook_deliveries` rows (saved a page of events at a time). A failure waits min(1 h, 1 s * 2**(attempt-1))
± 20 % and retries the same event; an endpoint failing for 24 h is disabled
with a `webhook_endpoint.disabled` event. A restart resumes from the stored
cursor (at least once: receivers de-duplicate by `Upstat-Event-Id`).

This module keeps the running consumers in step with the stored endpoints
(`sync`, called by delivery/endpoints.py after each change it commits: the
API's and the YAML reconcile at start and reload).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import msgspec
import structlog

import upstatd
from upstatd.clock import Clock
from upstatd.config.webhooks import matches
from upstatd.delivery import public, sign
from upstatd.delivery.outbox import Attempt, Consumer, Outbox
from upstatd.delivery.policy import Policy
from upstatd.delivery.post import post
from upstatd.events import Event, EventBus
from upstatd.store import webhooks as store
from upstatd.store.webhooks import EndpointRow

log = structlog.get_logger("upstatd.webhooks")

TIMEOUT = 10.0               # seconds per attempt, connect to last byte
BACKOFF_BASE = 1.0           # seconds before the first retry; doubles per failed attempt
BACKOFF_MAX = 3600.0
DISABLE_AFTER = 24 * 3600.0  # seconds of failing before an endpoint is disabled

_encoder = msgspec.json.Encoder()


def _shared(name: str) -> property:
    """A knob of the policy all endpoints share (tests shorten the waits while running)."""
    return property(lambda self: getattr(self.policy, name), lambda self, value: setattr(self.policy, name, value))


class WebhookChannel:
    """One endpoint's signed POST (the outbox Channel of webhook endpoints); the
    session and timeout are the dispatcher's, shared by every endpoint."""

    def __init__(self, dispatcher: WebhookDispatcher, row: EndpointRow) -> None:
        self.d = dispatcher
        self.row = row

    async def send(self, event: Event) -> Attempt:
        """Never raises for the receiver's failures."""
        d = self.d
        if d.session is None:
            return Attempt(False, None, 0.0, "webhook delivery is not running")
        body = _encoder.encode(event.as_json())
        headers = {"Content-Type": "application/json",
                   **sign.headers(self.row.secret, event.id, body, int(d.clock.time()))}
        posted = await post(d.session, self.row.url, body, headers, d.timeout)
        return Attempt(posted.error is None and posted.status is not None, posted.status, posted.latency_ms,
                       posted.error)


class WebhookDispatcher:
    backoff_base = _shared("backoff_base")
    backoff_max = _shared("backoff_max")
    disable_after = _shared("disable_after")

    def __init__(self, clock: Clock, writer: Any, read_conn: Any, bus: EventBus) -> None:
        self.clock = clock
        self.writer = writer
        self.read_conn = read_conn
        self.policy = Policy(BACKOFF_BASE, BACKOFF_MAX, disable_after=DISABLE_AFTER)
        self.timeout = TIMEOUT  # settable (tests make it short)
        self.outbox = Outbox(clock, writer, read_conn, bus)
        self.session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()

    @property
    def workers(self) -> dict[str, Consumer]:
        """endpoint id -> its running consumer"""
        return {consumer.channel.row.id: consumer for consumer in self.outbox.consumers.values()}

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Start one consumer per enabled endpoint (the YAML ones reconciled before:
        WebhookEndpointCommands.reconcile), each honouring the retry wait its event had."""
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            headers={"User-Agent": f"upstatd/{upstatd.__version__} (webhooks)"})
        await self.sync(resume_waits=True)
        self.outbox.start()
        log.info("webhooks.started", endpoints=len(self.outbox.consumers))

    async def stop(self) -> None:
        """Stop delivering; what is not delivered stays in the outbox for the next start."""
        await self.outbox.stop()
        if self.session is not None:
            await self.session.close()
            self.session = None

    # -- endpoints changed (the API, a reload) -----------------------------

    async def sync(self, resume_waits: bool = False) -> None:
        """Make the running consumers match the stored endpoints: stop those removed,
        disabled or changed (url, events, secret), start the enabled ones not running.
        `resume_waits`: a consumer started honours the retry wait its event had (a restart);
        otherwise (a change over the API) it tries at once."""
        if self.session is None:
            return
        async with self._lock:
            rows = {row.id: row for row in await self.read_conn.call(store.all_endpoints)}
            stopped = False
            for endpoint_id, consumer in self.workers.items():
                row, was = rows.get(endpoint_id), consumer.channel.row
                if row is None or not row.enabled or (row.url, row.events, row.secret) != (was.url, was.events,
                                                                                          was.secret):
                    await self.outbox.remove(consumer.name)
                    stopped = True
            if stopped:  # the cursors they moved past skipped events are in the database before others read them
                await self.writer.flush()
            if self.session is None:  # stopped while this sync waited: start nothing that would outlive it
                return
            running = self.workers
            for row in rows.values():
                if row.enabled and row.id not in running:
                    self.outbox.add(self._consumer(row, resume_waits))

    async def remove(self, endpoint_id: str) -> None:
        """Stop an endpoint's consumer (before its rows are deleted)."""
        async with self._lock:
            await self.outbox.remove(f"webhook:{endpoint_id}")

    async def retain(self, keys: set[str]) -> None:
        """Stop the consumers of config endpoints whose key is not in `keys` (before a
        reconcile deletes their rows)."""
        async with self._lock:
            for consumer in list(self.outbox.consumers.values()):
                if consumer.channel.row.key is not None and consumer.channel.row.key not in keys:
                    await self.outbox.remove(consumer.name)

    def _consumer(self, row: EndpointRow, resume_waits: bool) -> Consumer:
        def disabled_event(conn: Any) -> tuple[str, dict]:
            return "webhook_endpoint.disabled", public.endpoint_data(store.by_seq(conn, row.seq))

        return Consumer(f"webhook:{row.id}", lambda kind: matches(row.events, kind), WebhookChannel(self, row),
                        store.ledger(row.seq), self.policy, disabled_event, resume_waits)

    # -- a test ping ---------------------------------------------------------

    async def send_once(self, row: EndpointRow, event: Event) -> Attempt:
        """POST one event to an endpoint once, whether or not it is enabled (a test ping)."""
        return await WebhookChannel(self, row).send(event)
