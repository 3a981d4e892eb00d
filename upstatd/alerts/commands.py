"""Alert channel use cases: create, update, delete, send a test message, and
reconcile the config file's channels; and the reads of alerts. Each change is
one writer transaction, then the dispatcher follows (AlertDispatcher.sync).

A body is checked by the config file's own parser (config/alert_channels.py
parse_channel) in the file's form, so the API and YAML say the same things;
a problem's path is named as the API's param (an unknown key is a 400, the
rest 422). Channels from the config file can be read and tested, and enabled
or disabled; other changes answer 409.

A test message (`send_test`, and `upstatd notify-test` through `test_facts`,
`AlertDispatcher.send_once` and `record_test`) is sent at once, never
retried, and recorded as an alert with reason `test` and its one attempt;
the channel's consumer never sends it again (store/alerts.py pending).
"""

from __future__ import annotations

import concurrent.futures
import os
import sqlite3
from collections.abc import Callable
from typing import Any, NamedTuple

import aiohttp
import msgspec

import upstatd

from upstatd.alerts import public
from upstatd.alerts.dispatcher import AlertDispatcher
from upstatd.alerts.message import Facts
from upstatd.clock import Clock
from upstatd.commands import Changed, Commands, existing, no_problems, refuse_config_managed
from upstatd.config.alert_channels import EMAIL_PORTS, SECRETS, ChannelSpec, parse_channel
from upstatd.config.check import Problems
from upstatd.config.schema import Config
from upstatd.delivery.outbox import Attempt
from upstatd.errors import Conflict, Invalid, NotFound
from upstatd.ids import new_id
from upstatd.store import alerts as store
from upstatd.store.alerts import AlertRow, ChannelRow
from upstatd.store.db import Database
from upstatd.store.writer import Writer

API_NAMES = {"reminder_interval": "reminder_interval_seconds", "digest_window": "digest_window_seconds"}
FILE_NAMES = {api: name for name, api in API_NAMES.items()}


class Tested(NamedTuple):
    row: ChannelRow
    alert: AlertRow
    attempts: list[tuple]
    result: Attempt


def find(conn: sqlite3.Connection, channel_id: str) -> ChannelRow:
    """A shared channel: a person's own is read and changed as the person (/api/people)."""
    return existing(store.shared(conn, channel_id), "alert channel", channel_id)


def find_any(conn: sqlite3.Connection, channel_id: str) -> ChannelRow:
    """A shared channel or a person's own (a test message may go through either)."""
    return existing(store.get(conn, channel_id), "alert channel", channel_id)


def not_named(conn: sqlite3.Connection, row: ChannelRow) -> None:
    """A channel people name (or send their mail through) is not deleted from under them."""
    from upstatd.store.people import naming_channel
    people = naming_channel(conn, row.id)
    if people:
        named = ", ".join(f"{person_id} ({name})" for person_id, name in people)
        raise Conflict(f"alert channel {row.id} is named in the contact methods of {named}: change those "
                       f"first", "channel_in_use")


def checked(document: dict[str, Any]) -> ChannelSpec:
    """The API body in the file's form -> the spec, or the first problem as the API's error."""
    problems = Problems("api")
    spec = parse_channel(document, (), problems, keyed=False)
    no_problems(problems, API_NAMES)
    assert spec is not None
    return spec


def no_mask(kind: str, settings: dict[str, Any]) -> None:
    """A secret that still reads "********" has no stored value to keep: refused, not stored."""
    for name in SECRETS.get(kind, ()):
        value = settings.get(name)
        masked = [f"{kind}.{name}"] if value == public.MASK else \
            [f"{kind}.{name}.{header}" for header, item in value.items() if item == public.MASK] \
            if isinstance(value, dict) else []
        if masked:
            raise Invalid(f"{masked[0]}: \"********\" stands for a stored secret, and there is none to keep "
                          f"here: send the secret itself", masked[0])


def test_facts(channel_name: str, now: float) -> Facts:
    """What a test message says (reason test: no incident, no links)."""
    return Facts(kind="monitor", name=f"alert channel {channel_name}", reason="test", incident_id="",
                 started_at=now, at=now)


def record_test(conn: sqlite3.Connection, row: ChannelRow, alert_id: str, facts: Facts, result: Attempt,
                now_ms: int) -> tuple[AlertRow, list[tuple]]:
    """A test sent through `row` as an alert (reason test) with its one attempt, inside the
    caller's transaction; -> the alert and its attempts."""
    conn.execute(*store.insert_statement(alert_id, row.seq, None, "test", "queued", None, None,
                                         msgspec.to_builtins(facts), None, now_ms))
    store.ledger(row.seq).record(conn, alert_id, "test", 1, now_ms, result, None)
    return store.alert(conn, alert_id), store.attempts_of(conn, [alert_id])[alert_id]


def file_form(body: msgspec.Struct) -> dict[str, Any]:
    out = {}
    for name in body.__struct_fields__:
        value = getattr(body, name)
        if value is not msgspec.UNSET:
            out[FILE_NAMES.get(name, name)] = value
    return out


def document(row: ChannelRow) -> dict[str, Any]:
    """A stored channel in the file's form (secrets in clear)."""
    return {"name": row.name, "type": row.type, "events": list(row.events), "degraded": row.degraded,
            "reminder_interval": row.reminder_interval, "digest_window": row.digest_window,
            "templates": dict(row.templates), "enabled": row.enabled, row.type: dict(row.settings)}


class AlertChannelCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, dispatcher: AlertDispatcher,
                 config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.dispatcher = dispatcher
        self.config = config

    async def get(self, channel_id: str) -> ChannelRow:
        return await self.read_db.call(find, channel_id)

    def _editable(self, row: ChannelRow, verb: str) -> None:
        refuse_config_managed(row, 'alert channel', 'alert_channels', self.config().file, verb, 'enabling and disabling work over the API')

    async def create(self, body: public.ChannelCreate) -> Changed:
        spec = checked(file_form(body))
        no_mask(spec.type, spec.settings)
        now_ms = self._now_ms()
        row = await self.writer.run(lambda conn: store.insert(conn, new_id("ch"), spec, "api", now_ms))
        await self.dispatcher.sync()
        return Changed(row, True)

    async def update(self, channel_id: str, body: public.ChannelUpdate) -> Changed:
        """PATCH and PUT (partial). The type block given is merged key by key into the stored
        one (null: back to the default); "********" sent back keeps a stored secret. A new
        type needs its whole block."""
        given = file_form(body)
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> Changed:
            row = find(conn, channel_id)
            if set(given) - {"enabled"}:
                self._editable(row, "changed")
            merged = {**document(row), **given}
            kind = merged["type"]
            if kind != row.type:
                merged.pop(row.type, None)
                if kind not in given:
                    raise Invalid(f"{kind}: a channel changed to type {kind} needs its '{kind}' settings", kind)
            else:
                block = {**row.settings, **given.get(kind, {})}
                if kind == "email" and "port" not in given.get(kind, {}) and \
                        row.settings.get("port") == EMAIL_PORTS.get(row.settings.get("security")):
                    block.pop("port", None)  # the old security's default port: the new one's instead
                merged[kind] = public.keep_secrets(kind, block, row.settings)
            spec = checked({name: value for name, value in merged.items() if value is not None})
            no_mask(spec.type, spec.settings)
            spec = msgspec.structs.replace(spec, key=row.key)
            if spec == row.spec():
                return Changed(row, False)
            store.update(conn, row, spec, now_ms, store.API_DISABLED)
            return Changed(store.by_seq(conn, row.seq), True)

        changed = await self.writer.run(change)
        if changed.changed:
            await self.dispatcher.sync()
        return changed

    async def delete(self, channel_id: str) -> Changed:
        """With its alerts and attempts; its consumer stops first."""
        row = await self.read_db.call(find, channel_id)
        self._editable(row, "deleted")
        await self.read_db.call(not_named, row)
        await self.dispatcher.remove(channel_id)

        def write(conn: sqlite3.Connection) -> None:
            current = find(conn, channel_id)
            not_named(conn, current)
            store.delete(conn, [current.seq])

        try:
            await self.writer.run(write)
        finally:
            await self.dispatcher.sync()
        return Changed(None, True)

    async def send_test(self, channel_id: str) -> Tested:
        """Send a test message now, enabled or not; recorded as an alert (reason test) with its attempt."""
        row = await self.read_db.call(find_any, channel_id)
        now = self.clock.time()
        facts = test_facts(row.name, now)
        result = await self.dispatcher.send_once(row, facts)
        alert_id, now_ms = new_id("alt"), round(now * 1000)

        def record(conn: sqlite3.Connection) -> tuple[AlertRow, list[tuple]]:
            find_any(conn, channel_id)  # deleted meanwhile: no orphan alert
            return record_test(conn, row, alert_id, facts, result, now_ms)

        alert, attempts = await self.writer.run(record)
        return Tested(row, alert, attempts, result)

    async def reconcile(self, specs: tuple[ChannelSpec, ...]) -> None:
        """Start and SIGHUP: make the config channels match the file."""
        await self.dispatcher.retain({spec.key for spec in specs})
        now_ms = self._now_ms()
        await self.writer.run(lambda conn: store.reconcile(conn, specs, now_ms))
        await self.dispatcher.sync(resume_waits=True)

    # -- alerts ------------------------------------------------------------------------------

    async def alert(self, alert_id: str) -> public.Alert:
        def read(conn: sqlite3.Connection) -> public.Alert:
            row = store.alert(conn, alert_id)
            if row is None or row.reason == "digest":
                raise NotFound(f"no alert with id '{alert_id}'")
            return shown(conn, [row])[0]
        return await self.read_db.call(read)


def shown(conn: sqlite3.Connection, rows: list[AlertRow]) -> list[public.Alert]:
    """Alerts in the public shape, with their attempts (a suppressed one: its digest's)."""
    channels = {row.seq: row for row in store.all_channels(conn)}
    attempts = store.attempts_of(conn, list({row.digest_id or row.id for row in rows}))
    return [public.alert_object(row, channels.get(row.channel_seq), attempts[row.digest_id or row.id])
            for row in rows]


# -- without the daemon: `upstatd notify-test` ------------------------------------------------

class Lookup(NamedTuple):
    """The channel a test goes through (`send`), and its stored row to record the test
    against (`stored`: None when the database does not know it)."""
    send: ChannelRow
    stored: ChannelRow | None


def unsaved_row(spec: ChannelSpec) -> ChannelRow:
    """A config file's channel as a row (seq 0: stored nowhere)."""
    return ChannelRow(0, "", spec.key, "config", spec.name, spec.type, dict(spec.settings), list(spec.events),
                      spec.degraded, spec.reminder_interval, spec.digest_window, dict(spec.templates), spec.enabled,
                      0, None, None, 0, 0)


def stored_channel(path: str, ref: str) -> ChannelRow | None:
    """The channel `ref` (id or key) in the database at `path`, read-only; None when there is
    no database, no such channel, or no alert_channels table yet."""
    if not os.path.exists(path):
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            return store.find_ref(conn, ref)
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def lookup(config: Config, ref: str) -> Lookup:
    """A config key (the file's settings, as the daemon will use them after a reload) or a
    channel id or key in the database; NotFound names what exists."""
    stored = stored_channel(config.storage_path, ref)
    for spec in config.alert_channels:
        if spec.key == ref:
            return Lookup(unsaved_row(spec), stored if stored is not None and stored.key == ref else None)
    if stored is not None:
        return Lookup(stored, stored)
    keys = ", ".join(spec.key for spec in config.alert_channels if spec.key) or "none"
    raise NotFound(f"no alert channel '{ref}': not a key in {config.file} (its keys: {keys}), nor a channel "
                   f"in the database {config.storage_path}")


async def send_test_alone(row: ChannelRow, clock: Clock, public_url: str | None) -> tuple[Facts, Attempt]:
    """One test message through `row`, as the daemon's test sends it (AlertDispatcher.send_once),
    from a dispatcher that only sends: no queue, no timers, no database; its HTTP session
    and Apprise thread closed after."""
    from upstatd.events import EventBus
    from upstatd.scheduler.runner import Runner

    dispatcher = AlertDispatcher(clock, None, None, EventBus(None), Runner(clock), lambda subject_id: None,
                                 lambda: public_url, lambda: ())
    dispatcher.session = aiohttp.ClientSession(headers={"User-Agent": f"upstatd/{upstatd.__version__} (alerts)"})
    dispatcher.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="apprise")
    try:
        facts = test_facts(row.name, clock.time())
        return facts, await dispatcher.send_once(row, facts)
    finally:
        await dispatcher.stop()


def record_test_in(path: str, row: ChannelRow, facts: Facts, result: Attempt, now_ms: int,
                   busy_timeout_ms: int = 2000) -> str:
    """The test as an alert in the database at `path` (beside a running daemon: SQLite waits
    `busy_timeout_ms` for its writer) -> the alert's id. Raises sqlite3.Error."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if store.by_seq(conn, row.seq) is None:
                raise sqlite3.OperationalError(f"alert channel {row.id} is no longer in the database")
            alert_id = new_id("alt")
            record_test(conn, row, alert_id, facts, result, now_ms)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return alert_id
    finally:
        conn.close()


def describe_attempt(row: ChannelRow, result: Attempt) -> str:
    """One line: which channel, ok or failed, the status code, the latency, the error."""
    name = row.key or row.id
    label = f"{name} ({row.type}{', ' + row.id if row.id and row.id != name else ''})"
    status = f"status {result.status_code}" if result.status_code is not None else "no status"
    latency = f"{result.latency_ms:.1f} ms" if result.latency_ms is not None else "-"
    if result.ok:
        return f"{label}: ok, {status}, {latency}"
    return f"{label}: failed, {status}, {latency}: {result.error}"
