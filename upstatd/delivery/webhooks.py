"""Webhook delivery: signed POSTs of events, retried, per endpoint in order.

One asyncio task per enabled endpoint reads the outbox (`events`, by seq)
after its `cursor`, 100 rows at a time, keeps the types its patterns match,
and POSTs them one at a time, in order, through one shared aiohttp session
(10 s timeout). Every attempt is a `webhook_deliveries` row (queued on the
writer); the cursor moves past an event once it got a 2xx (or was not for
this endpoint). A failure waits min(1 h, base * 2**(attempt-1)) ± 20 % and
retries the same event: later events wait behind it (per-endpoint order). An
endpoint failing for 24 h is disabled with a `webhook_endpoint.disabled`
event. A crash or restart resumes from the stored cursor (at-least-once:
receivers de-duplicate by `Upstat-Event-Id`).

Tasks are woken by the bus (after the writer committed what was queued with
the event) and poll every second besides. Nothing here blocks the loop for
long: a slow receiver holds up only its own task.
"""

from __future__ import annotations

import asyncio
import datetime
import random
import time
from typing import Any

import aiohttp
import msgspec
import structlog

import upstatd
from upstatd.clock import Clock
from upstatd.config.webhooks import WebhookSpec, matches
from upstatd.delivery.sign import EVENT_ID_HEADER, HEADER, sign
from upstatd.events import Event, EventBus, event_from_row
from upstatd.ids import new_id
from upstatd.store import webhooks as store
from upstatd.store.webhooks import EndpointRow

log = structlog.get_logger("upstatd.webhooks")

TIMEOUT = 10.0               # seconds per attempt, connect to last byte
BACKOFF_BASE = 1.0           # seconds before the first retry; doubles per failed attempt
BACKOFF_MAX = 3600.0
JITTER = 0.2                 # ± this fraction of each wait
POLL_INTERVAL = 1.0          # seconds between looks at the outbox without a wake-up
DISABLE_AFTER = 24 * 3600.0  # seconds of failing before an endpoint is disabled
BATCH = 100
ERROR_SNIPPET = 200          # characters of a failing answer's body kept in the delivery's error

_encoder = msgspec.json.Encoder()


class Attempt(msgspec.Struct):
    ok: bool
    status_code: int | None
    latency_ms: float
    error: str | None


class WebhookDispatcher:
    def __init__(self, clock: Clock, writer: Any, read_conn: Any, bus: EventBus) -> None:
        self.clock = clock
        self.writer = writer
        self.read_conn = read_conn
        self.bus = bus
        # settable (tests make waits short)
        self.timeout = TIMEOUT
        self.backoff_base = BACKOFF_BASE
        self.backoff_max = BACKOFF_MAX
        self.poll_interval = POLL_INTERVAL
        self.disable_after = DISABLE_AFTER
        self.workers: dict[str, _Worker] = {}  # endpoint id -> its task
        self.session: aiohttp.ClientSession | None = None
        self._new = asyncio.Event()
        self._notifier: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        bus.subscribe(self._on_event)

    # -- lifecycle ---------------------------------------------------------

    async def start(self, specs: tuple[WebhookSpec, ...]) -> None:
        """Reconcile the YAML endpoints, start one delivery task per enabled endpoint."""
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            headers={"User-Agent": f"upstatd/{upstatd.__version__} (webhooks)"})
        now_ms = round(self.clock.time() * 1000)
        await self.writer.run(lambda conn: store.reconcile(conn, specs, now_ms))
        await self.sync(resume_waits=True)
        self._notifier = asyncio.create_task(self._notify(), name="webhooks-notify")
        log.info("webhooks.started", endpoints=len(self.workers))

    async def reload(self, specs: tuple[WebhookSpec, ...]) -> None:
        """Apply a reloaded `webhooks:` section."""
        now_ms = round(self.clock.time() * 1000)
        async with self._lock:  # removed endpoints stop before their rows go
            keys = {spec.key for spec in specs}
            for worker in [w for w in self.workers.values() if w.row.key is not None and w.row.key not in keys]:
                await self._stop_worker(worker)
        await self.writer.run(lambda conn: store.reconcile(conn, specs, now_ms))
        await self.sync(resume_waits=True)

    async def stop(self) -> None:
        """Stop delivering; what is not delivered stays in the outbox for the next start."""
        if self._notifier is not None:
            self._notifier.cancel()
            await asyncio.gather(self._notifier, return_exceptions=True)
            self._notifier = None
        for worker in list(self.workers.values()):
            await self._stop_worker(worker)
        if self.session is not None:
            await self.session.close()
            self.session = None

    # -- endpoints changed (the API, a reload) -----------------------------

    async def sync(self, resume_waits: bool = False) -> None:
        """Make the running tasks match the stored endpoints: stop those removed,
        disabled or changed (url, events, secret), start the enabled ones not running.
        `resume_waits`: a task started honours the retry wait its event had (a restart);
        otherwise (a change over the API) it tries at once."""
        if self.session is None:
            return
        async with self._lock:
            rows = {row.id: row for row in await self.read_conn.call(store.all_endpoints)}
            stopped = False
            for worker in list(self.workers.values()):
                row = rows.get(worker.row.id)
                if row is None or not row.enabled or \
                        (row.url, row.events, row.secret) != (worker.row.url, worker.row.events, worker.row.secret):
                    await self._stop_worker(worker)
                    stopped = True
                else:
                    worker.row = row  # description, metadata: for the snapshot in its events
            if stopped:  # their cursors are in the database before others read them
                await self.writer.flush()
                rows = {row.id: row for row in await self.read_conn.call(store.all_endpoints)}
            for row in rows.values():
                if row.enabled and row.id not in self.workers:
                    self.workers[row.id] = _Worker(self, row, resume_waits)

    async def remove(self, endpoint_id: str) -> None:
        """Stop an endpoint's task (before its rows are deleted)."""
        async with self._lock:
            worker = self.workers.get(endpoint_id)
            if worker is not None:
                await self._stop_worker(worker)

    async def _stop_worker(self, worker: _Worker) -> None:
        self.workers.pop(worker.row.id, None)
        worker.task.cancel()
        await asyncio.gather(worker.task, return_exceptions=True)

    # -- sending -------------------------------------------------------------

    async def send_test(self, row: EndpointRow) -> int:
        """POST a `ping` event (not stored as an event) once; returns the delivery's seq."""
        now = self.clock.time()
        event = Event(new_id("evt"), "ping", now, store.public(row))
        attempt = await self.post(row, event.id, _encoder.encode(event.as_json()))

        def record(conn: Any) -> int:
            cursor = conn.execute(store.INSERT_DELIVERY, _delivery(row, event, 1, now, attempt, None))
            return cursor.lastrowid

        return await self.writer.run(record)

    async def post(self, row: EndpointRow, event_id: str, body: bytes) -> Attempt:
        """One signed POST; never raises for the receiver's failures."""
        if self.session is None:
            return Attempt(False, None, 0.0, "webhook delivery is not running")
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: event_id,
                   HEADER: sign(row.secret, body, int(self.clock.time()))}
        started = time.perf_counter()
        status, error = None, None
        try:
            async with self.session.post(row.url, data=body, headers=headers, allow_redirects=False,
                                         timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                status = response.status
                answer = await response.content.read(64 * 1024)
                if not 200 <= status < 300:
                    text = answer[:ERROR_SNIPPET].decode("utf-8", "replace").strip()
                    error = f"HTTP {status}" + (f": {text}" if text else "")
        except asyncio.TimeoutError:
            error = f"no answer within {self.timeout:g}s"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except (OSError, ValueError) as exc:  # a URL aiohttp cannot use
            error = f"{type(exc).__name__}: {exc}"
        latency = round((time.perf_counter() - started) * 1000, 3)
        return Attempt(error is None and status is not None, status, latency, error)

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1, 2, ...)."""
        wait = min(self.backoff_max, self.backoff_base * 2 ** min(attempt - 1, 60))
        return wait * random.uniform(1 - JITTER, 1 + JITTER)

    # -- wake-ups ------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        self._new.set()

    async def _notify(self) -> None:
        """Wake the tasks once what came with the event is committed (readable)."""
        while True:
            await self._new.wait()
            # the writer's own linger first: its batch commits as it would have (group commit kept)
            await asyncio.sleep(getattr(self.writer, "linger", 0) or 0)
            self._new.clear()
            try:
                await self.writer.flush()
            except Exception as exc:  # the writer will retry; the poll finds the rows later
                log.warning("webhooks.flush_failed", error=str(exc))
            for worker in list(self.workers.values()):
                worker.wake.set()


def _delivery(row: EndpointRow, event: Event, attempt: int, at: float, result: Attempt,
              next_at: float | None) -> tuple:
    return (row.seq, event.id, event.type, attempt, round(at * 1000), int(result.ok), result.status_code,
            result.latency_ms, result.error, None if next_at is None else round(next_at * 1000))


class _Worker:
    """Delivers one endpoint's events, in seq order."""

    def __init__(self, dispatcher: WebhookDispatcher, row: EndpointRow, resume_waits: bool) -> None:
        self.d = dispatcher
        self.row = row
        self.cursor = row.cursor
        self.failing_since = row.failing_since  # ms
        self.resume_waits = resume_waits
        self.first = True  # the first event may have attempts from before a restart
        self.wake = asyncio.Event()
        self.task = asyncio.create_task(self.run(), name=f"webhook-{row.id}")

    async def run(self) -> None:
        d = self.d
        while True:
            self.wake.clear()
            try:
                rows = await d.read_conn.execute_fetchall(
                    "SELECT seq, id, type, created_at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                    (self.cursor, BATCH))
                for row in rows:
                    if matches(self.row.events, row[2]):
                        if not await self.deliver(event_from_row(row[1:])):
                            await self._disabled()
                            return
                        self.cursor = row[0]
                        self._save_cursor()
                    self.cursor = row[0]
                if rows:
                    self._save_cursor()
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug or the disk: keep the task, try again
                log.exception("webhooks.worker_failed", endpoint=self.row.id)
                self.first = True  # the attempt count comes from the database again
            try:
                await asyncio.wait_for(self.wake.wait(), d.poll_interval)
            except TimeoutError:
                pass

    def _save_cursor(self) -> None:
        self.d.writer.put(("webhook_cursor", self.row.seq), store.SET_CURSOR, (self.cursor, self.row.seq))

    def _save_failing(self) -> None:
        self.d.writer.put(("webhook_failing", self.row.seq), store.SET_FAILING, (self.failing_since, self.row.seq))

    async def deliver(self, event: Event) -> bool:
        """Send until a 2xx (True) or until the endpoint is disabled (False)."""
        d = self.d
        body = _encoder.encode(event.as_json())
        attempt = 0
        if self.first:
            self.first = False
            attempt, next_ms = await d.read_conn.call(store.last_attempt, self.row.seq, event.id)
            if attempt and next_ms is not None and self.resume_waits:
                left = next_ms / 1000 - d.clock.time()
                if left > 0:
                    await asyncio.sleep(min(left, d.backoff(attempt)))
        while True:
            attempt += 1
            result = await d.post(self.row, event.id, body)
            now = d.clock.time()
            now_ms = round(now * 1000)
            if result.ok:
                d.writer.add_row(store.INSERT_DELIVERY, _delivery(self.row, event, attempt, now, result, None))
                if self.failing_since is not None:
                    self.failing_since = None
                    self._save_failing()
                return True
            if self.failing_since is None:
                self.failing_since = now_ms
                self._save_failing()
            if now_ms - self.failing_since >= d.disable_after * 1000:
                d.writer.add_row(store.INSERT_DELIVERY, _delivery(self.row, event, attempt, now, result, None))
                self._disable(now, result.error)
                return False
            wait = d.backoff(attempt)
            d.writer.add_row(store.INSERT_DELIVERY, _delivery(self.row, event, attempt, now, result, now + wait))
            log.info("webhooks.attempt_failed", endpoint=self.row.id, event_id=event.id, attempt=attempt,
                     error=result.error, retry_in=round(wait, 3))
            await asyncio.sleep(wait)

    def _disable(self, now: float, error: str | None) -> None:
        d = self.d
        since = datetime.datetime.fromtimestamp(self.failing_since / 1000, datetime.timezone.utc)
        hours = d.disable_after / 3600
        reason = (f"every delivery failed for {hours:g} hours (since {since:%Y-%m-%dT%H:%M:%SZ}); "
                  f"last error: {error}")
        now_ms = round(now * 1000)
        self._save_cursor()
        d.writer.add(store.DISABLE, (reason, now_ms, self.row.seq))
        row = self.row._replace(enabled=False, disabled_reason=reason, failing_since=self.failing_since,
                                updated_at=now_ms, cursor=self.cursor)
        d.bus.emit("webhook_endpoint.disabled", store.public(row), now)
        log.warning("webhooks.endpoint_disabled", endpoint=self.row.id, url=self.row.url, reason=reason)

    async def _disabled(self) -> None:
        """Leave the running set once the row says disabled (a sync meanwhile must not restart it)."""
        try:
            await self.d.writer.flush()
        except Exception as exc:
            log.warning("webhooks.flush_failed", error=str(exc))
        if self.d.workers.get(self.row.id) is self:
            del self.d.workers[self.row.id]
