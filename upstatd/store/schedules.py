"""The on_call_schedules and on_call_overrides tables (migration 0018): schedules
from the config file (reconciled by key) and from the API, and their overrides.

Layers are stored in the pure core's Layer shape with users as usr_ ids (a key
of the file is resolved when the row is written, the people reconciled first),
so store/on_call.py's `schedules()` reads what is written here. An override made
over the API stays across reloads, also on a config schedule; the file's own
overrides (`managed_by = 'config'`) are replaced with the file.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.ids import new_id
from upstatd.oncall.layers import Layer
from upstatd.oncall.rotations import Override
from upstatd.store import pages

TABLE = "on_call_schedules"
COLUMNS = "seq, id, key, managed_by, name, layers, metadata, created_at, updated_at"
OVERRIDE_COLUMNS = "seq, id, schedule_seq, managed_by, user_id, starts_at, ends_at, created_at"


class ScheduleRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    name: str
    layers: tuple[Layer, ...]
    metadata: dict[str, str]
    created_at: int
    updated_at: int


class OverrideRow(NamedTuple):
    seq: int
    id: str
    schedule_seq: int
    managed_by: str
    user_id: str
    starts_at: float      # Unix seconds
    ends_at: float
    created_at: int


def from_row(row: Any) -> ScheduleRow:
    seq, schedule_id, key, managed_by, name, layers, meta, created_at, updated_at = row
    return ScheduleRow(seq, schedule_id, key, managed_by, name, msgspec.json.decode(layers, type=tuple[Layer, ...]),
                       msgspec.json.decode(meta), created_at, updated_at)


def override_from_row(row: Any) -> OverrideRow:
    seq, override_id, schedule_seq, managed_by, user_id, starts_at, ends_at, created_at = row
    return OverrideRow(seq, override_id, schedule_seq, managed_by, user_id, starts_at / 1000, ends_at / 1000,
                       created_at)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def get(conn: sqlite3.Connection, schedule_id: str) -> ScheduleRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (schedule_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> ScheduleRow:
    return from_row(conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq = ?", (seq,)).fetchone())


def insert(conn: sqlite3.Connection, schedule_id: str, key: str | None, managed_by: str, name: str,
           layers: tuple[Layer, ...], meta: dict[str, str], now_ms: int) -> ScheduleRow:
    cursor = conn.execute(f"INSERT INTO {TABLE} (id, key, managed_by, name, layers, metadata, created_at, "
                          "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          (schedule_id, key, managed_by, name, _json(layers), _json(meta), now_ms, now_ms))
    return by_seq(conn, cursor.lastrowid)


def update(conn: sqlite3.Connection, seq: int, name: str, layers: tuple[Layer, ...], meta: dict[str, str],
           now_ms: int) -> ScheduleRow:
    conn.execute(f"UPDATE {TABLE} SET name = ?, layers = ?, metadata = ?, updated_at = ? WHERE seq = ?",
                 (name, _json(layers), _json(meta), now_ms, seq))
    return by_seq(conn, seq)


def touch(conn: sqlite3.Connection, seq: int, now_ms: int) -> ScheduleRow:
    """An override added or removed is a change of its schedule (updated_at, the event)."""
    conn.execute(f"UPDATE {TABLE} SET updated_at = ? WHERE seq = ?", (now_ms, seq))
    return by_seq(conn, seq)


def delete(conn: sqlite3.Connection, seq: int) -> None:
    conn.execute("DELETE FROM on_call_overrides WHERE schedule_seq = ?", (seq,))
    conn.execute(f"DELETE FROM {TABLE} WHERE seq = ?", (seq,))


# -- overrides ----------------------------------------------------------------------------

def overrides(conn: sqlite3.Connection, schedule_seq: int, ending_after_ms: int | None = None,
              limit: int = 1000) -> list[OverrideRow]:
    """A schedule's overrides, oldest first (the core's order: a later one wins); with
    `ending_after_ms` only those not ended then."""
    rows = conn.execute(f"SELECT {OVERRIDE_COLUMNS} FROM on_call_overrides WHERE schedule_seq = ? AND ends_at > ? "
                        "ORDER BY seq LIMIT ?",
                        (schedule_seq, -1 if ending_after_ms is None else ending_after_ms, limit)).fetchall()
    return [override_from_row(row) for row in rows]


def get_override(conn: sqlite3.Connection, schedule_seq: int, override_id: str) -> OverrideRow | None:
    rows = conn.execute(f"SELECT {OVERRIDE_COLUMNS} FROM on_call_overrides WHERE schedule_seq = ? AND id = ?",
                        (schedule_seq, override_id)).fetchall()
    return override_from_row(rows[0]) if rows else None


def add_override(conn: sqlite3.Connection, schedule_seq: int, override_id: str, managed_by: str,
                 override: Override, now_ms: int) -> OverrideRow:
    cursor = conn.execute("INSERT INTO on_call_overrides (id, schedule_seq, managed_by, user_id, starts_at, ends_at, "
                          "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (override_id, schedule_seq, managed_by, override.user, round(override.starts_at * 1000),
                           round(override.ends_at * 1000), now_ms))
    return override_from_row(conn.execute(f"SELECT {OVERRIDE_COLUMNS} FROM on_call_overrides WHERE seq = ?",
                                          (cursor.lastrowid,)).fetchone())


def delete_override(conn: sqlite3.Connection, seq: int) -> None:
    conn.execute("DELETE FROM on_call_overrides WHERE seq = ?", (seq,))


def _file_overrides(conn: sqlite3.Connection, schedule_seq: int) -> list[Override]:
    return [Override(row.user_id, row.starts_at, row.ends_at) for row in overrides(conn, schedule_seq)
            if row.managed_by == "config"]


def replace_file_overrides(conn: sqlite3.Connection, schedule_seq: int, wanted: tuple[Override, ...],
                           now_ms: int) -> bool:
    """The file's overrides of a schedule made `wanted` (the API's stay); -> whether any changed."""
    if _file_overrides(conn, schedule_seq) == list(wanted):
        return False
    conn.execute("DELETE FROM on_call_overrides WHERE schedule_seq = ? AND managed_by = 'config'", (schedule_seq,))
    for override in wanted:
        add_override(conn, schedule_seq, new_id("ovr"), "config", override, now_ms)
    return True


# -- references -----------------------------------------------------------------------------

def people(conn: sqlite3.Connection, refs: list[str], keys: bool) -> list[str | None]:
    """Each ref as the usr_ id of the person it names: an id, or with `keys` (the file) also a
    person's YAML key; None: nobody."""
    out = []
    for ref in refs:
        found = conn.execute("SELECT id FROM people WHERE id = ?", (ref,)).fetchall()
        if not found and keys:
            found = conn.execute("SELECT id FROM people WHERE key = ?", (ref,)).fetchall()
        out.append(found[0][0] if found else None)
    return out


def policies_naming(conn: sqlite3.Connection, schedule_id: str) -> list[str]:
    """The ids of the escalation policies whose steps target this schedule."""
    return [row[0] for row in conn.execute(
        "SELECT DISTINCT p.id FROM escalation_policies AS p, json_each(p.steps) AS s, "
        "json_each(s.value, '$.targets') AS t WHERE json_extract(t.value, '$.id') = ? "
        "AND json_extract(t.value, '$.type') IN ('current_on_call', 'schedule_members') ORDER BY p.seq",
        (schedule_id,))]


def overrides_page(conn: sqlite3.Connection, schedule_seq: int, *, limit: int, starting_after: str | None = None,
                   ending_before: str | None = None) -> tuple[list[OverrideRow], bool]:
    rows, has_more = pages.page(conn, "on_call_overrides", OVERRIDE_COLUMNS, limit, starting_after, ending_before,
                                "schedule_seq = ?", (schedule_seq,))
    return [override_from_row(row) for row in rows], has_more


def config_rows(conn: sqlite3.Connection) -> dict[str, ScheduleRow]:
    return {row.key: row for row in map(from_row, conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE managed_by = 'config'").fetchall())}


def list_page(conn: sqlite3.Connection, *, limit: int, starting_after: str | None = None,
              ending_before: str | None = None) -> tuple[list[ScheduleRow], bool]:
    """One page of schedules, newest first."""
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before)
    return [from_row(row) for row in rows], has_more
