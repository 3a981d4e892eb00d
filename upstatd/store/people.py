"""The people table (migration 0018) and each person's personal alert channels.

A person's contact methods are stored resolved: `{channel: ch_…}`, `{email,
via: ch_…}`, `{apprise: url}`. Each `{email, via}` and `{apprise}` method is
delivered by an alert channel of its own (`alert_channels.person_id`), so it
has the outbox's retries and cursor: written here in the person's
transaction, replaced when the methods change, deleted with the person.
store/on_call.py reads the same rows for escalation.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.config.alert_channels import DEFAULT_EVENTS, ChannelSpec
from upstatd.config.people import PersonSpec, kind_of
from upstatd.ids import new_id
from upstatd.store import alerts as channel_store
from upstatd.store import pages

TABLE = "people"
COLUMNS = "seq, id, key, managed_by, name, email, timezone, contact_methods, metadata, created_at, updated_at"


class PersonRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    name: str
    email: str | None
    timezone: str
    contact_methods: list[dict[str, str]]   # resolved: channel and via as ch_ ids
    metadata: dict[str, str]
    created_at: int
    updated_at: int
    channel_ids: tuple[str, ...] = ()      # its personal alert channels, in its methods' order

    def __repr__(self) -> str:  # never an Apprise URL (it may carry tokens)
        return f"PersonRow(id={self.id!r}, key={self.key!r}, methods={[kind_of(m) for m in self.contact_methods]})"

    def spec(self) -> PersonSpec:
        return PersonSpec(self.key, self.name, self.email, self.timezone,
                          tuple(self.contact_methods), self.metadata)


class Unresolved(Exception):
    """A contact method naming no usable channel: `at` its path under contact_methods."""

    def __init__(self, message: str, at: tuple) -> None:
        super().__init__(message)
        self.at = at


def from_row(row: Any, conn: sqlite3.Connection | None = None) -> PersonRow:
    """With `conn`: its personal channels' ids too."""
    values = list(row)
    values[7] = msgspec.json.decode(values[7])
    values[8] = msgspec.json.decode(values[8])
    if conn is not None:
        values.append(tuple(channel_ids(conn, values[1])[0]))
    return PersonRow(*values)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def get(conn: sqlite3.Connection, person_id: str) -> PersonRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (person_id,)).fetchall()
    return from_row(rows[0], conn) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> PersonRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq = ?", (seq,)).fetchall()
    return from_row(rows[0], conn) if rows else None


def list_page(conn: sqlite3.Connection, *, limit: int, starting_after: str | None = None,
              ending_before: str | None = None) -> tuple[list[PersonRow], bool]:
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before)
    return [from_row(row, conn) for row in rows], has_more


# -- refs --------------------------------------------------------------------------------

def _shared(conn: sqlite3.Connection, ref: str) -> tuple[str, str] | None:
    """A shared channel (not a person's) by id or key -> (id, type)."""
    found = conn.execute("SELECT id, type FROM alert_channels WHERE person_id IS NULL AND (id = ? OR key = ?) "
                         "ORDER BY id = ? DESC LIMIT 1", (ref, ref, ref)).fetchall()
    return (found[0][0], found[0][1]) if found else None


def resolved(conn: sqlite3.Connection, spec: PersonSpec) -> PersonSpec:
    """The spec with each channel and via ref as its channel's id; Unresolved names the first
    that names no shared channel (via: no email channel, or none given and not exactly one)."""
    out = []
    for index, method in enumerate(spec.contact_methods):
        method = dict(method)
        if "channel" in method:
            found = _shared(conn, method["channel"])
            if found is None:
                raise Unresolved(f"no alert channel with id or key '{method['channel']}'", (index, "channel"))
            method["channel"] = found[0]
        elif "email" in method:
            if method.get("via") is None:
                emails = [row[0] for row in conn.execute(
                    "SELECT id FROM alert_channels WHERE person_id IS NULL AND type = 'email' ORDER BY seq")]
                if len(emails) != 1:
                    raise Unresolved(f"needs 'via': the email channel whose SMTP server sends this mail "
                                     f"(there are {len(emails)} email channels; 'via' may be left out only "
                                     f"when there is exactly one)", (index, "via"))
                method["via"] = emails[0]
            else:
                found = _shared(conn, method["via"])
                if found is None:
                    raise Unresolved(f"no alert channel with id or key '{method['via']}'", (index, "via"))
                if found[1] != "email":
                    raise Unresolved(f"must name an email channel (its SMTP server sends the mail), but "
                                     f"'{method['via']}' is of type {found[1]}", (index, "via"))
                method["via"] = found[0]
        out.append(method)
    return msgspec.structs.replace(spec, contact_methods=tuple(out))


def naming_channel(conn: sqlite3.Connection, channel_id: str) -> list[tuple[str, str]]:
    """(id, name) of the people whose contact methods name this shared channel (or send through it)."""
    return [tuple(row) for row in conn.execute(
        f"SELECT DISTINCT p.id, p.name FROM {TABLE} AS p, json_each(p.contact_methods) AS m "
        "WHERE json_extract(m.value, '$.channel') = ? OR json_extract(m.value, '$.via') = ? ORDER BY p.seq",
        (channel_id, channel_id))]


def naming_person(conn: sqlite3.Connection, person_id: str) -> list[str]:
    """What names this person: "schedule sch_… (Name)" and "escalation policy esc_… (Name)"."""
    schedules = conn.execute(
        "SELECT DISTINCT s.id, s.name FROM on_call_schedules AS s, json_each(s.layers) AS l, "
        "json_each(l.value, '$.users') AS u WHERE u.value = ? "
        "UNION SELECT s.id, s.name FROM on_call_overrides AS o JOIN on_call_schedules AS s "
        "ON s.seq = o.schedule_seq WHERE o.user_id = ?", (person_id, person_id)).fetchall()
    policies = conn.execute(
        "SELECT DISTINCT e.id, e.name FROM escalation_policies AS e, json_each(e.steps) AS st, "
        "json_each(st.value, '$.targets') AS t WHERE json_extract(t.value, '$.type') = 'user' "
        "AND json_extract(t.value, '$.id') = ?", (person_id,)).fetchall()
    services = conn.execute("SELECT id, name FROM services WHERE owner_type = 'user' AND owner_id = ?",
                            (person_id,)).fetchall()
    return ([f"schedule {sid} ({name})" for sid, name in sorted(schedules)]
            + [f"escalation policy {eid} ({name})" for eid, name in sorted(policies)]
            + [f"service {sid} ({name}), its owner" for sid, name in sorted(services)])


# -- writes ------------------------------------------------------------------------------

def _values(spec: PersonSpec) -> tuple:
    return (spec.name, spec.email, spec.timezone, _json(list(spec.contact_methods)), _json(spec.metadata))


def insert(conn: sqlite3.Connection, person_id: str, spec: PersonSpec, managed_by: str, now_ms: int) -> PersonRow:
    """`spec` resolved. With its personal channels."""
    cursor = conn.execute(
        f"INSERT INTO {TABLE} (id, key, managed_by, name, email, timezone, contact_methods, metadata, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (person_id, spec.key, managed_by, *_values(spec),
                                                              now_ms, now_ms))
    write_channels(conn, by_seq(conn, cursor.lastrowid), now_ms)
    return by_seq(conn, cursor.lastrowid)


def update(conn: sqlite3.Connection, row: PersonRow, spec: PersonSpec, now_ms: int) -> PersonRow:
    conn.execute(f"UPDATE {TABLE} SET name = ?, email = ?, timezone = ?, contact_methods = ?, metadata = ?, "
                 "updated_at = ? WHERE seq = ?", (*_values(spec), now_ms, row.seq))
    write_channels(conn, by_seq(conn, row.seq), now_ms)
    return by_seq(conn, row.seq)


def delete(conn: sqlite3.Connection, rows: list[PersonRow]) -> None:
    """People with their personal channels (their alerts stay as history, as a deleted channel's)."""
    for row in rows:
        channel_store.delete(conn, channel_ids(conn, row.id)[1])
        conn.execute(f"DELETE FROM {TABLE} WHERE seq = ?", (row.seq,))


def channel_ids(conn: sqlite3.Connection, person_id: str) -> tuple[list[str], list[int]]:
    """The person's own channels: (ids, seqs)."""
    found = conn.execute("SELECT id, seq FROM alert_channels WHERE person_id = ? ORDER BY seq", (person_id,)).fetchall()
    return [row[0] for row in found], [row[1] for row in found]


def personal_specs(row: PersonRow) -> list[ChannelSpec]:
    """The alert channels that deliver the person's own methods (key None: not the file's)."""
    out = []
    for method in row.contact_methods:
        if "email" in method:
            out.append(ChannelSpec(None, f"{row.name} (email)", "email",
                                   {"via": method["via"], "to": [method["email"]]}, DEFAULT_EVENTS))
        elif "apprise" in method:
            out.append(ChannelSpec(None, f"{row.name} (apprise)", "apprise", {"url": method["apprise"]},
                                   DEFAULT_EVENTS))
    return out


def write_channels(conn: sqlite3.Connection, row: PersonRow, now_ms: int) -> None:
    """Make the person's channels deliver their methods: kept when they already do (their
    cursors and alerts go on), else replaced all together."""
    wanted = personal_specs(row)
    stored = [channel_store.from_row(found) for found in conn.execute(
        f"SELECT {channel_store.COLUMNS} FROM alert_channels WHERE person_id = ? ORDER BY seq", (row.id,))]
    if [(s.name, s.type, s.settings) for s in stored] == [(s.name, s.type, s.settings) for s in wanted]:
        return
    channel_store.delete(conn, [found.seq for found in stored])
    for spec in wanted:
        channel = channel_store.insert(conn, new_id("ch"), spec, row.managed_by, now_ms)
        conn.execute("UPDATE alert_channels SET person_id = ? WHERE seq = ?", (row.id, channel.seq))


def reconcile(conn: sqlite3.Connection, specs: tuple[PersonSpec, ...], now_ms: int,
              kept: set[str] = frozenset()) -> tuple[list[PersonRow], list[PersonRow], list[PersonRow]]:
    """Make the config-managed people match `specs` (resolved by the caller), inside the
    caller's transaction; those keyed in `kept` stay as stored (their entry could not be
    resolved); -> (rows added, rows changed, rows removed as they were). A person still named by a schedule or policy is
    removed all the same: the file is the authority on its own people."""
    stored = {row.key: row for row in (from_row(found, conn) for found in conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE managed_by = 'config'").fetchall())}
    wanted = {spec.key for spec in specs} | set(kept)
    gone = [row for key, row in stored.items() if key not in wanted]
    delete(conn, gone)
    added, changed = [], []
    for spec in specs:
        row = stored.get(spec.key)
        if row is None:
            added.append(insert(conn, new_id("usr"), spec, "config", now_ms))
        elif row.spec() != spec:
            changed.append(update(conn, row, spec, now_ms))
    return added, changed, gone
