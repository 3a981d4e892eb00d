"""Alert delivery: each enabled channel is an outbox consumer (delivery/outbox.py)
named `alerts:<id>` whose queue is its own alerts (store/alerts.py). Its
channel, `AlertChannel`, renders an alert's stored facts (message.py; a
digest: its members, once its due time came) and hands the message to the
channel type's sender (email, apprise, webhook, pagerduty). The consumer
brings the rest: in order, retried with backoff (1 s doubling to 5 min),
attempts and cursor saved, resumed after a restart. A channel failing for
24 hours is not disabled: each alert that still fails then is given up
(status failed) after one try, until one gets through.

A slow or failing channel holds up only its own consumer; Apprise runs in a
thread pool of its own, so probes, pings and other channels go on.

An opened, reminder or escalated message names the incident's runbooks, read
when it is sent (store/runbook_reads.py, on the read connection: the router
that made the alert on the probe path reads no database; one read serves every
channel sending about the incident within RUNBOOKS_FRESH), each with its page's
signed link (alerts/runbook_links.py) when server.public_url is set. A failed
read sends the message without them: a page without its runbook beats none.

Reminders are timers on the scheduler's wheel (`alert.reminder`, keyed by
incident id): the router says when each incident's next one is due; one
due while the daemon was stopped goes once at start.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec
import structlog

import upstatd
from upstatd.alerts import message as messages
from upstatd.alerts import refs
from upstatd.alerts.apprise_channel import AppriseChannel
from upstatd.alerts.email import EmailChannel
from upstatd.alerts.message import Facts, TemplateProblem
from upstatd.alerts.router import Lookup, Router, Told
from upstatd.alerts.webhook import TemplateWebhookChannel
from upstatd.clock import Clock
from upstatd.delivery.outbox import Attempt, Consumer, Outbox
from upstatd.delivery.policy import Policy
from upstatd.events import Event, EventBus
from upstatd.store import alerts as store
from upstatd.store import runbook_reads
from upstatd.store.alerts import ChannelRow

log = structlog.get_logger("upstatd.alerts")

BACKOFF_BASE = 1.0
BACKOFF_MAX = 300.0
GIVE_UP_AFTER = 24 * 3600.0
APPRISE_THREADS = 4
RUNBOOKS_FRESH = 5.0   # seconds an incident's runbooks, once read, serve its other channels' messages
RUNBOOKS_KEPT = 1000   # incidents whose read is kept before the stale ones are dropped

# (incident id, now, person id) -> (acknowledge url, resolve url): the one-click links of a message;
# a person's own channel signs the person into its links (the acknowledge names them)
Links = Callable[[str, float, "str | None"], "tuple[str | None, str | None]"]


# (runbook id, incident id, now) -> the runbook page's signed link, or None (no public URL)
RunbookUrl = Callable[[str, str, float], "str | None"]


def _no_runbook_url(runbook_id: str, incident_id: str, now: float) -> None:
    return None


def _no_links(incident_id: str, now: float, person_id: str | None = None) -> tuple[None, None]:
    return None, None


class ViaGone(ValueError):
    """A person's email channel whose via channel is no longer an email channel."""


class AlertChannel:
    """One channel's outbox Channel: an alert (or digest) row -> a message -> its sender."""

    def __init__(self, dispatcher: AlertDispatcher, row: ChannelRow) -> None:
        self.d = dispatcher
        self.row = row
        self.sender: Any = None

    async def send(self, event: Event) -> Attempt:
        d = self.d
        try:
            if event.type == "digest":
                message = await self._digest(event)
                if message is None:
                    return Attempt(True, None, 0.0, None)  # its members went away with their channel
            else:
                message = d.render(self.row, await d.with_runbooks(msgspec.convert(event.object, Facts)))
        except TemplateProblem as exc:  # the same template fails again: no retry
            return Attempt(False, None, 0.0, str(exc), False)
        if "via" in self.row.settings:  # a person's email: the via channel's SMTP settings of the moment
            try:
                return await d.sender(self.row).send(message)
            except ViaGone as exc:
                return Attempt(False, None, 0.0, str(exc))
        if self.sender is None:
            self.sender = d.sender(self.row)
        return await self.sender.send(message)

    async def _digest(self, event: Event) -> messages.Message | None:
        d = self.d
        due = (event.extra or {}).get("due_at")
        if due is not None:
            wait = due / 1000 - d.clock.time()
            if wait > 0:
                await d.clock.sleep(wait)
        await d.writer.flush()  # its last members were queued just before
        members = await d.read_db.call(store.digest_members, event.id)
        facts = [d.with_links(msgspec.convert(member.facts, Facts), self.row.person_id) for member in members]
        return messages.render_digest(facts, d.public_url()) if facts else None


class AlertDispatcher:
    def __init__(self, clock: Clock, writer: Any, read_db: Any, bus: EventBus, runner: Any, lookup: Lookup,
                 public_url: Callable[[], str | None], defaults: Callable[[], tuple[str, ...]]) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db
        self.public_url = public_url
        self.defaults = defaults
        self.links: Links = _no_links
        self.runbook_url: RunbookUrl = _no_runbook_url
        self._runbooks: dict[str, tuple[float, asyncio.Future]] = {}  # incident id -> (monotonic, its read)
        self.policy = Policy(BACKOFF_BASE, BACKOFF_MAX, disable_after=None, give_up_after=GIVE_UP_AFTER)
        self.timeout = 10.0
        self.router = Router(lookup)
        self.router.on_alerts = self._on_alerts
        bus.add_recorder(self.router)
        self.outbox = Outbox(clock, writer, read_db, bus)
        self.reminders = runner.timers("alert.reminder", self._on_reminder)
        self.session: aiohttp.ClientSession | None = None
        self.executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self.rows: dict[str, ChannelRow] = {}  # every stored channel by id, as of the last sync

    @property
    def workers(self) -> dict[str, Consumer]:
        """channel id -> its running consumer"""
        return {consumer.channel.row.id: consumer for consumer in self.outbox.consumers.values()}

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Load the channels and the incidents told (reminders due while stopped go now),
        then start one consumer per enabled channel."""
        self._loop = asyncio.get_running_loop()
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            headers={"User-Agent": f"upstatd/{upstatd.__version__} (alerts)"})
        self.executor = concurrent.futures.ThreadPoolExecutor(APPRISE_THREADS, thread_name_prefix="apprise")
        told = await self.read_db.call(load_told)
        for entry in told.values():  # a subject's own reminder interval beats its channels'
            subject = self.router.subject_of(entry.incident)
            if subject is not None and subject.reminder_interval:
                entry.reminders = {seq: subject.reminder_interval for seq in entry.channels}
        self.router.load(told)
        for incident_id, entry in told.items():
            self._schedule(incident_id, entry.next_reminder())
        await self.sync(resume_waits=True)
        self.outbox.start()
        log.info("alerts.started", channels=len(self.outbox.consumers), reminding=len(told))

    async def stop(self) -> None:
        await self.outbox.stop()
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None

    async def sync(self, resume_waits: bool = False) -> None:
        """Make the router and the running consumers match the stored channels."""
        async with self._lock:
            rows = {row.id: row for row in await self.read_db.call(store.all_channels)}
            self.rows = rows
            self.router.use_channels(list(rows.values()), self.defaults())
            refs.use(rows.values())
            if self.session is None:
                return
            stopped = False
            for channel_id, consumer in self.workers.items():
                row = rows.get(channel_id)
                if row is None or not row.enabled or row.spec() != consumer.channel.row.spec():
                    await self.outbox.remove(consumer.name)
                    stopped = True
            if stopped:
                await self.writer.flush()
            if self.session is None:
                return
            running = self.workers
            for row in rows.values():
                if row.enabled and row.id not in running:
                    self.outbox.add(Consumer(f"alerts:{row.id}", lambda kind: kind != "suppressed",
                                             AlertChannel(self, row), store.ledger(row.seq), self.policy, None,
                                             resume_waits))

    async def remove(self, channel_id: str) -> None:
        async with self._lock:
            await self.outbox.remove(f"alerts:{channel_id}")

    async def retain(self, keys: set[str]) -> None:
        """Stop the consumers of config channels not in `keys` (before their rows go)."""
        async with self._lock:
            for consumer in list(self.outbox.consumers.values()):
                if consumer.channel.row.key is not None and consumer.channel.row.key not in keys:
                    await self.outbox.remove(consumer.name)

    # -- messages -------------------------------------------------------------------------

    def with_links(self, facts: Facts, person_id: str | None = None) -> Facts:
        if facts.reason in ("resolved", "test"):
            return facts
        acknowledge, resolve = self.links(facts.incident_id, self.clock.time(), person_id)
        return msgspec.structs.replace(facts, acknowledge_url=acknowledge if facts.reason != "acknowledged" else None,
                                       resolve_url=resolve)

    async def with_runbooks(self, facts: Facts) -> Facts:
        """The facts with the incident's runbooks, for the messages that carry them."""
        if facts.reason not in messages.RUNBOOK_REASONS:
            return facts
        try:
            linked = await asyncio.shield(self._read_runbooks(facts.incident_id))
        except Exception as exc:  # a storage problem: the page goes out without its runbooks
            log.warning("alerts.runbooks_unread", incident=facts.incident_id, error=str(exc))
            return facts
        now = self.clock.time()

        def url_of(runbook_id: str) -> str | None:
            try:
                return self.runbook_url(runbook_id, facts.incident_id, now)
            except ValueError:  # an id no token can hold (runbook_links.make): named without a link
                return None
        return msgspec.structs.replace(facts, runbooks=messages.notes(((r.id, r.title, r.steps) for r in linked),
                                                                      url_of))

    def _read_runbooks(self, incident_id: str) -> asyncio.Future:
        """The incident's runbooks, read once for every channel sending about it within
        RUNBOOKS_FRESH seconds (an outage to ten channels is one read, not ten)."""
        at = self.clock.monotonic()
        found = self._runbooks.get(incident_id)
        if found is not None and at - found[0] < RUNBOOKS_FRESH and \
                not (found[1].done() and found[1].exception() is not None):
            return found[1]
        if len(self._runbooks) >= RUNBOOKS_KEPT:  # a storm of incidents: forget the stale reads
            self._runbooks = {key: entry for key, entry in self._runbooks.items() if at - entry[0] < RUNBOOKS_FRESH}
        future = asyncio.ensure_future(self.read_db.call(runbook_reads.for_incident, incident_id))
        self._runbooks[incident_id] = (at, future)
        return future

    def render(self, row: ChannelRow, facts: Facts) -> messages.Message:
        return messages.render(self.with_links(facts, row.person_id), self.public_url(), row.type,
                               row.templates or None)

    def sender(self, row: ChannelRow) -> Any:
        """The sender of a channel's type, from its settings (checked when they were saved)."""
        settings = row.settings
        if row.type == "email" and "via" in settings:  # a person's address through a shared channel's SMTP
            via = self.rows.get(settings["via"])
            if via is None or via.type != "email":
                raise ViaGone(f"the email channel {settings['via']} this mail goes through is gone")
            settings = {**via.settings, "to": settings["to"]}
        if row.type == "email":
            return EmailChannel(host=settings["host"], port=settings.get("port"), security=settings["security"],
                                username=settings.get("username"), password=settings.get("password"),
                                sender=settings["from"], to=settings["to"], timeout=self.timeout)
        if row.type == "apprise":
            return AppriseChannel(settings["url"], timeout=self.timeout, executor=self.executor)
        if row.type == "webhook":
            return TemplateWebhookChannel(settings["url"], body=settings.get("body"),
                                          headers=settings.get("headers") or None, timeout=self.timeout,
                                          session=self.session)
        if row.type == "pagerduty":
            from upstatd.alerts.pagerduty import EVENTS_URL, PagerDutyChannel
            return PagerDutyChannel(settings["routing_key"], session=self.session,
                                    url=settings.get("url") or EVENTS_URL, timeout=self.timeout)
        raise ValueError(f"unknown channel type {row.type!r}")

    async def send_once(self, row: ChannelRow, facts: Facts) -> Attempt:
        """Render and send one message now, retried never (a test)."""
        try:
            message = self.render(row, facts)
        except TemplateProblem as exc:
            return Attempt(False, None, 0.0, str(exc), False)
        return await self.sender(row).send(message)

    # -- reminders ----------------------------------------------------------------------------

    def _on_alerts(self, incident_id: str, next_reminder: float | None) -> None:
        """From the recorder (the loop, or the writer's thread): (re)arm the incident's reminder."""
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._schedule(incident_id, next_reminder)
        else:
            loop.call_soon_threadsafe(self._schedule, incident_id, next_reminder)

    def _schedule(self, incident_id: str, due: float | None) -> None:
        if due is None:
            self.reminders.cancel(incident_id)
            return
        self.reminders.schedule(incident_id, self.clock.monotonic() + max(0.0, due - self.clock.time()))

    def _on_reminder(self, incident_id: str, when: float, now: float) -> None:
        statements, seqs, due = self.router.remind(incident_id, self.clock.time())
        for sql, params in statements:
            self.writer.add(sql, params)
        self._schedule(incident_id, due)
        if seqs:
            log.info("alerts.reminded", incident=incident_id, channels=len(seqs))
            self.outbox.poke()


def load_told(conn: sqlite3.Connection) -> dict[str, Told]:
    """The active incidents and the channels told of them, as the router keeps them (at start)."""
    from upstatd.incidents import public as incident_public
    from upstatd.store import incidents as incident_store
    told: dict[str, Told] = {}
    rows = conn.execute(
        "SELECT a.incident_id, a.channel_seq, max(a.created_at), c.reminder_interval FROM alerts a "
        "JOIN incidents i ON i.id = a.incident_id JOIN alert_channels c ON c.seq = a.channel_seq "
        "WHERE a.reason IN ('opened', 'reminder', 'escalated') AND i.status IN ('open', 'acknowledged') "
        "GROUP BY a.incident_id, a.channel_seq").fetchall()
    for incident_id, channel_seq, last_ms, interval in rows:
        entry = told.get(incident_id)
        if entry is None:
            incident = incident_store.get(conn, incident_id)
            entry = told[incident_id] = Told(incident_public.as_json(incident))
        entry.channels[channel_seq] = last_ms / 1000
        if interval:
            entry.reminders[channel_seq] = float(interval)
    return told
