"""The subject_groups table (groups of monitors or of heartbeats) and the
membership column (`group_id`) of monitors and heartbeats.

A group row is read with its members' tally: (status, current_state, count)
for every pair among its members, so the public shape (groups/public.py)
computes the counts and the worst state without another query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

import msgspec

from upstatd.ids import new_id
from upstatd.store import pages, status_pages

KINDS = ("monitor", "heartbeat")
MANAGERS = ("config", "api")
MEMBERS = {"monitor": "monitors", "heartbeat": "heartbeats"}  # kind -> the members' table
TABLE = "subject_groups"


def _tally(table: str) -> str:
    return (f"(SELECT json_group_array(json_array(status, current_state, n)) FROM "
            f"(SELECT status, current_state, count(*) AS n FROM {table} WHERE group_id = subject_groups.id "
            f"GROUP BY status, current_state))")


COLUMNS = ("seq, id, kind, key, managed_by, name, metadata, created_at, updated_at, "
           f"CASE kind WHEN 'monitor' THEN {_tally('monitors')} ELSE {_tally('heartbeats')} END")


class GroupRow(NamedTuple):
    seq: int
    id: str
    kind: str
    key: str | None
    managed_by: str
    name: str
    metadata: dict
    created_at: int        # Unix ms
    updated_at: int
    tally: tuple           # ((status, current_state, count), ...) of its members


def from_row(row) -> GroupRow:
    values = list(row)
    values[6] = msgspec.json.decode(values[6])
    values[9] = tuple(tuple(item) for item in msgspec.json.decode(values[9] or "[]"))
    return GroupRow(*values)


def get(conn: sqlite3.Connection, group_id: str) -> GroupRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (group_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> GroupRow:
    return from_row(conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq = ?", (seq,)).fetchone())


def insert(conn: sqlite3.Connection, group_id: str, kind: str, name: str, metadata: dict, now_ms: int) -> GroupRow:
    """A group made over the API: no key."""
    cursor = conn.execute(
        f"INSERT INTO {TABLE} (id, kind, key, managed_by, name, metadata, created_at, updated_at) "
        "VALUES (?, ?, NULL, 'api', ?, ?, ?, ?)",
        (group_id, kind, name, msgspec.json.encode(metadata).decode(), now_ms, now_ms))
    return by_seq(conn, cursor.lastrowid)


def update(conn: sqlite3.Connection, seq: int, name: str, metadata: dict, now_ms: int) -> GroupRow:
    conn.execute(f"UPDATE {TABLE} SET name = ?, metadata = ?, updated_at = ? WHERE seq = ?",
                 (name, msgspec.json.encode(metadata).decode(), now_ms, seq))
    return by_seq(conn, seq)


def delete(conn: sqlite3.Connection, seq: int) -> None:
    conn.execute(f"DELETE FROM {TABLE} WHERE seq = ?", (seq,))


def member_ids(conn: sqlite3.Connection, group: GroupRow, status: str | None = None) -> list[str]:
    """Its members' ids, oldest first; with `status`, only those active or paused."""
    table = MEMBERS[group.kind]
    where, args = ("group_id = ?", [group.id]) if status is None else \
        ("group_id = ? AND status = ?", [group.id, status])
    return [row[0] for row in conn.execute(f"SELECT id FROM {table} WHERE {where} ORDER BY seq", args)]


def list_page(conn: sqlite3.Connection, kind: str, *, managed_by: str | None = None,
              created_gte: int | None = None, created_lte: int | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None
              ) -> tuple[list[GroupRow], bool]:
    """One page of the groups of one kind, newest first (store.pages)."""
    where = (pages.Where("kind = ?", kind)
             .equal("managed_by", managed_by, "managed_by", MANAGERS)
             .created(created_gte, created_lte))
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where,
                                cursor_seq=_cursor(kind))
    return [from_row(row) for row in rows], has_more


def _cursor(kind: str):
    def cursor_seq(conn: sqlite3.Connection, cursor: str) -> int | None:
        rows = conn.execute(f"SELECT seq FROM {TABLE} WHERE id = ? AND kind = ?", (cursor, kind)).fetchall()
        return rows[0][0] if rows else None
    return cursor_seq


# -- the config file's groups ----------------------------------------------------------

def ensure_config(conn: sqlite3.Connection, kind: str, names: Iterable[str], now_ms: int) -> dict[str, str]:
    """The config groups of `kind` named in the file, made when first named: name -> id
    (inside the caller's transaction, before its members are written)."""
    wanted = set(names)
    if not wanted:
        return {}
    found = {key: group_id for key, group_id in conn.execute(
        f"SELECT key, id FROM {TABLE} WHERE kind = ? AND managed_by = 'config'", (kind,))}
    made = [(new_id("grp"), kind, name, name, now_ms, now_ms) for name in sorted(wanted - set(found))]
    conn.executemany(
        f"INSERT INTO {TABLE} (id, kind, key, managed_by, name, created_at, updated_at) "
        "VALUES (?, ?, ?, 'config', ?, ?, ?)", made)
    found.update({name: group_id for group_id, _, name, *_ in made})
    return {name: found[name] for name in wanted}


def prune_config(conn: sqlite3.Connection, kind: str, names: Iterable[str]) -> None:
    """Delete the config groups of `kind` the file no longer names (after its members were
    written: a config group's members are the file's, so none is left in them)."""
    keep = list(set(names))
    marks = ", ".join("?" * len(keep))
    clause = f" AND key NOT IN ({marks})" if keep else ""
    gone = [row[0] for row in conn.execute(
        f"SELECT seq FROM {TABLE} WHERE kind = ? AND managed_by = 'config'{clause}", (kind, *keep))]
    conn.executemany(f"DELETE FROM {TABLE} WHERE seq = ?", [(seq,) for seq in gone])
    status_pages.delete_subjects(conn, "group", gone)  # the pages stop showing them
