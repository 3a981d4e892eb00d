"""The alert_channels, alerts and alert_attempts tables.

Each enabled channel is an outbox consumer (alerts/dispatcher.py) whose queue
is its own rows of `alerts`, read by seq (`AlertLedger.pending`): an alert
(`alt_`), or a digest (`dig_`) that carries the alerts suppressed into it. A
suppressed alert is skipped by the consumer (its digest sends it). Each
attempt is a row of `alert_attempts`, and the alert's row follows it: status
sent, failed (given up) or still queued, the count, the last error.

Alerts are inserted by the router (alerts/router.py) in the same transaction
as the incident event that causes them: `insert_statement` is one statement
for the writer's queue (probe path) or the caller's transaction (API path).
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.config.alert_channels import ChannelSpec, masked
from upstatd.ids import new_id
from upstatd.store import pages
from upstatd.store.outbox import Ledger

TABLE = "alert_channels"
COLUMNS = ("seq, id, key, managed_by, name, type, settings, events, degraded, reminder_interval, digest_window, "
           "templates, enabled, cursor, failing_since, disabled_reason, created_at, updated_at, person_id")
ALERT_COLUMNS = ("seq, id, channel_seq, incident_id, reason, status, digest_id, event_id, facts, due_at, attempts, "
                 "error, created_at, updated_at")
ATTEMPT_COLUMNS = "seq, event_id, attempt, created_at, ok, status_code, latency_ms, error, next_attempt_at"
INSERT_ALERT = ("INSERT INTO alerts (id, channel_seq, incident_id, reason, status, digest_id, event_id, facts, "
                "due_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
STATUSES = ("queued", "sent", "failed", "suppressed")
API_DISABLED = "disabled over the API"  # disabled_reason of a channel the API disabled
_encoder = msgspec.json.Encoder()


class ChannelRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    name: str
    type: str
    settings: dict[str, Any]
    events: list[str]
    degraded: bool
    reminder_interval: float | None   # seconds
    digest_window: float              # seconds
    templates: dict[str, str]
    enabled: bool
    cursor: int
    failing_since: int | None
    disabled_reason: str | None
    created_at: int
    updated_at: int
    person_id: str | None = None      # a person's own channel (store/people.py): not listed, not the file's

    def __repr__(self) -> str:  # never the secrets (a log line, a traceback)
        return (f"ChannelRow(seq={self.seq}, id={self.id!r}, key={self.key!r}, type={self.type!r}, "
                f"settings={masked(self.type, self.settings)!r}, enabled={self.enabled!r})")

    def spec(self) -> ChannelSpec:
        return ChannelSpec(self.key, self.name, self.type, self.settings, tuple(self.events), self.degraded,
                           None if self.reminder_interval is None else float(self.reminder_interval),
                           float(self.digest_window), self.templates, self.enabled)


class AlertRow(NamedTuple):
    seq: int
    id: str
    channel_seq: int
    incident_id: str | None
    reason: str
    status: str
    digest_id: str | None
    event_id: str | None
    facts: dict[str, Any]
    due_at: int | None
    attempts: int
    error: str | None
    created_at: int
    updated_at: int


def from_row(row: Any) -> ChannelRow:
    values = list(row)
    for index in (6, 7, 11):
        values[index] = msgspec.json.decode(values[index])
    values[8] = bool(values[8])
    values[12] = bool(values[12])
    return ChannelRow(*values)


def alert_from_row(row: Any) -> AlertRow:
    values = list(row)
    values[8] = msgspec.json.decode(values[8])
    return AlertRow(*values)


def _json(value: Any) -> str:
    return _encoder.encode(value).decode()


def _fields(spec: ChannelSpec) -> tuple:
    # durations as given (90.5 s stays 90.5: rounding would make 0.4 s of digest window "off")
    return (spec.name, spec.type, _json(spec.settings), _json(list(spec.events)), int(spec.degraded),
            spec.reminder_interval, spec.digest_window, _json(spec.templates))


# -- channels ----------------------------------------------------------------------------

def all_channels(conn: sqlite3.Connection) -> list[ChannelRow]:
    return [from_row(row) for row in conn.execute(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY seq").fetchall()]


def get(conn: sqlite3.Connection, channel_id: str) -> ChannelRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (channel_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> ChannelRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq = ?", (seq,)).fetchall()
    return from_row(rows[0]) if rows else None


def shared(conn: sqlite3.Connection, channel_id: str) -> ChannelRow | None:
    """A channel by id that is not a person's own (those are the person's to change)."""
    row = get(conn, channel_id)
    return row if row is not None and row.person_id is None else None


def find_ref(conn: sqlite3.Connection, ref: str) -> ChannelRow | None:
    """A channel by id (ch_…) or YAML key."""
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ? OR key = ?", (ref, ref)).fetchall()
    return from_row(rows[0]) if rows else None


def last_alert_seq(conn: sqlite3.Connection) -> int:
    (seq,) = conn.execute("SELECT coalesce(max(seq), 0) FROM alerts").fetchall()[0]
    return seq


def new_seq(conn: sqlite3.Connection) -> int:
    """A seq no channel ever had, so no orphan alert or attempt is inherited."""
    (seq,) = conn.execute(
        "SELECT max(coalesce((SELECT max(seq) FROM alert_channels), 0), "
        "coalesce((SELECT max(channel_seq) FROM alerts), 0), "
        "coalesce((SELECT max(channel_seq) FROM alert_attempts), 0)) + 1").fetchall()[0]
    return seq


def insert(conn: sqlite3.Connection, channel_id: str, spec: ChannelSpec, managed_by: str, now_ms: int,
           seq: int | None = None) -> ChannelRow:
    """A new channel starts after the newest alert: it gets what happens from then on."""
    seq = new_seq(conn) if seq is None else seq
    conn.execute(
        f"INSERT INTO {TABLE} (seq, id, key, managed_by, name, type, settings, events, degraded, reminder_interval, "
        "digest_window, templates, enabled, cursor, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, channel_id, spec.key, managed_by, *_fields(spec), int(spec.enabled), last_alert_seq(conn),
         now_ms, now_ms))
    return by_seq(conn, seq)


def update(conn: sqlite3.Connection, row: ChannelRow, spec: ChannelSpec, now_ms: int,
           reason: str | None = None) -> None:
    """`reason`: why it is disabled, when this disables it (API_DISABLED over the API)."""
    conn.execute(f"UPDATE {TABLE} SET name = ?, type = ?, settings = ?, events = ?, degraded = ?, "
                 "reminder_interval = ?, digest_window = ?, templates = ?, updated_at = ? WHERE seq = ?",
                 (*_fields(spec), now_ms, row.seq))
    set_enabled(conn, row, spec.enabled, now_ms, reason)


def set_enabled(conn: sqlite3.Connection, row: ChannelRow, enabled: bool, now_ms: int,
                reason: str | None = None) -> None:
    """Enabled again: from the newest alert on (what queued while disabled is not sent late)."""
    if enabled == row.enabled:
        return
    if enabled:
        conn.execute(f"UPDATE {TABLE} SET enabled = 1, disabled_reason = NULL, failing_since = NULL, "
                     "cursor = max(cursor, ?), updated_at = ? WHERE seq = ?", (last_alert_seq(conn), now_ms, row.seq))
    else:
        conn.execute(f"UPDATE {TABLE} SET enabled = 0, disabled_reason = ?, failing_since = NULL, updated_at = ? "
                     "WHERE seq = ?", (reason, now_ms, row.seq))


def delete(conn: sqlite3.Connection, seqs: list[int]) -> None:
    """Channels. Their alerts and attempts stay as history (shown with channel_id null) until
    retention prunes them: deleting them could take the newest alert rows, and SQLite would
    number the next alerts below the other channels' cursors, which would never send them."""
    conn.executemany(f"DELETE FROM {TABLE} WHERE seq = ?", [(seq,) for seq in seqs])


def reconcile(conn: sqlite3.Connection, specs: tuple[ChannelSpec, ...], now_ms: int) -> None:
    """Make the config-managed channels match `specs` (inside the caller's transaction).
    One the API disabled stays disabled while its entry in the file is unchanged (a
    restart or reload does not undo it); a changed entry takes `enabled` from the file."""
    stored = {row.key: row for row in map(from_row, conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE managed_by = 'config' AND person_id IS NULL").fetchall())}
    wanted = {spec.key for spec in specs}  # a config person's channels are the people reconcile's
    delete(conn, [row.seq for key, row in stored.items() if key not in wanted])
    for spec in specs:
        row = stored.get(spec.key)
        if row is None:
            insert(conn, new_id("ch"), spec, "config", now_ms)
            continue
        as_filed = row.enabled or row.disabled_reason == API_DISABLED  # what the file said last
        if msgspec.structs.replace(row.spec(), enabled=as_filed) != spec:
            update(conn, row, spec, now_ms)


def ledger(seq: int) -> AlertLedger:
    return AlertLedger(TABLE, "alert_attempts", "channel_seq", seq)


class AlertLedger(Ledger):
    """A channel's place: its row's cursor, its alerts as the queue, each attempt also
    moving its alert's status."""

    def pending(self, after: int, limit: int) -> tuple[str, tuple]:
        # (seq, id, type, created_at, data): a suppressed alert's type says so (its consumer skips it)
        # a test (reason test) was sent when it was made: it is not in the queue
        return ("SELECT seq, id, CASE WHEN status = 'suppressed' THEN 'suppressed' ELSE reason END, created_at, "
                "json_object('object', json(facts), 'due_at', due_at, 'incident_id', incident_id) FROM alerts "
                "WHERE channel_seq = ? AND seq > ? AND reason != 'test' ORDER BY seq LIMIT ?",
                (self.seq, after, limit))

    def record(self, conn: sqlite3.Connection, event_id: str, event_type: str, attempt: int, at_ms: int,
               result: Any, next_at_ms: int | None) -> int:
        seq = super().record(conn, event_id, event_type, attempt, at_ms, result, next_at_ms)
        status = "sent" if result.ok else ("queued" if next_at_ms is not None else "failed")
        conn.execute("UPDATE alerts SET status = ?, attempts = ?, error = ?, updated_at = ? WHERE id = ?",
                     (status, attempt, None if result.ok else result.error, at_ms, event_id))
        return seq


def insert_statement(alert_id: str, channel_seq: int, incident_id: str | None, reason: str, status: str,
                     digest_id: str | None, event_id: str | None, facts: Any, due_at_ms: int | None,
                     now_ms: int) -> tuple[str, tuple]:
    return INSERT_ALERT, (alert_id, channel_seq, incident_id, reason, status, digest_id, event_id, _json(facts),
                          due_at_ms, now_ms, now_ms)


# -- reads -----------------------------------------------------------------------------------

def alert(conn: sqlite3.Connection, alert_id: str) -> AlertRow | None:
    rows = conn.execute(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)).fetchall()
    return alert_from_row(rows[0]) if rows else None


def digest_members(conn: sqlite3.Connection, digest_id: str) -> list[AlertRow]:
    return [alert_from_row(row) for row in conn.execute(
        f"SELECT {ALERT_COLUMNS} FROM alerts WHERE digest_id = ? ORDER BY seq", (digest_id,)).fetchall()]


def attempts_of(conn: sqlite3.Connection, event_ids: list[str]) -> dict[str, list[tuple]]:
    """Every attempt of each alert or digest, oldest first (ATTEMPT_COLUMNS)."""
    out: dict[str, list[tuple]] = {event_id: [] for event_id in event_ids}
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {ATTEMPT_COLUMNS} FROM alert_attempts WHERE event_id IN ({marks}) "
                                "ORDER BY seq", chunk).fetchall():
            out[row[1]].append(tuple(row))
    return out


def list_page(conn: sqlite3.Connection, *, enabled: bool | None = None, type: str | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None) -> tuple[list[ChannelRow], bool]:
    # a person's own channels are the person's (/api/people), not listed here
    where = (pages.Where("person_id IS NULL").equal("enabled", None if enabled is None else int(enabled))
             .equal("type", type))
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [from_row(row) for row in rows], has_more


def alerts_page(conn: sqlite3.Connection, *, incident_id: str | None = None, channel_seq: int | None = None,
                status: str | None = None, created_gte: int | None = None, created_lte: int | None = None,
                limit: int, starting_after: str | None = None, ending_before: str | None = None
                ) -> tuple[list[AlertRow], bool]:
    """Alerts newest first (digests are not alerts: they show as the digest_id of theirs)."""
    where = (pages.Where("reason != 'digest'").equal("incident_id", incident_id).equal("channel_seq", channel_seq)
             .equal("status", status, options=STATUSES).created(created_gte, created_lte))
    rows, has_more = pages.page(conn, "alerts", ALERT_COLUMNS, limit, starting_after, ending_before, where)
    return [alert_from_row(row) for row in rows], has_more
