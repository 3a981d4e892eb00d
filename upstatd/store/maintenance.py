"""The maintenance_windows table: windows from the config file (reconciled by
key) and from the API. Targets are stored as ids: a key of the file is
resolved when the row is written (the monitors and heartbeats are reconciled
first), so a reload that gives a key a new monitor rewrites the row. A group
target is stored as its grp_ id; its members are looked up when the service is
told (`group_members`), so they follow the group's membership."""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.config.maintenance import WindowSpec
from upstatd.ids import new_id
from upstatd.maintenance.windows import Window
from upstatd.store import pages

TABLE = "maintenance_windows"
COLUMNS = ("seq, id, key, managed_by, title, description, kind, starts_at, ends_at, expression, duration, timezone, "
           "monitor_ids, heartbeat_ids, metadata, active, created_at, updated_at, group_ids")


class WindowRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    title: str
    description: str | None
    window: Window
    monitor_ids: list[str]
    heartbeat_ids: list[str]
    metadata: dict[str, str]
    active: bool
    created_at: int
    updated_at: int
    group_ids: list[str]

    def spec(self) -> WindowSpec:
        return WindowSpec(self.key, self.title, self.window, self.description, tuple(self.monitor_ids),
                          tuple(self.heartbeat_ids), self.metadata, tuple(self.group_ids))


def from_row(row: Any) -> WindowRow:
    (seq, window_id, key, managed_by, title, description, kind, starts_at, ends_at, expression, duration, timezone,
     monitors, heartbeats, metadata, active, created_at, updated_at, groups) = row
    window = Window(kind, None if starts_at is None else starts_at / 1000, None if ends_at is None else ends_at / 1000,
                    expression, duration, timezone)
    return WindowRow(seq, window_id, key, managed_by, title, description, window, msgspec.json.decode(monitors),
                     msgspec.json.decode(heartbeats), msgspec.json.decode(metadata), bool(active), created_at,
                     updated_at, msgspec.json.decode(groups))


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _values(spec: WindowSpec) -> tuple:
    window = spec.window
    return (spec.title, spec.description, window.kind, _ms(window.starts_at), _ms(window.ends_at), window.expression,
            window.duration, window.timezone, _json(list(spec.monitor_ids)), _json(list(spec.heartbeat_ids)),
            _json(spec.metadata), _json(list(spec.group_ids)))


_FIELDS = ("title, description, kind, starts_at, ends_at, expression, duration, timezone, monitor_ids, "
           "heartbeat_ids, metadata, group_ids")


def get(conn: sqlite3.Connection, window_id: str) -> WindowRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (window_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> WindowRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq = ?", (seq,)).fetchall()
    return from_row(rows[0]) if rows else None


def all_windows(conn: sqlite3.Connection) -> list[WindowRow]:
    return [from_row(row) for row in conn.execute(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY seq").fetchall()]


def insert(conn: sqlite3.Connection, window_id: str, spec: WindowSpec, managed_by: str, now_ms: int) -> WindowRow:
    cursor = conn.execute(
        f"INSERT INTO {TABLE} (id, key, managed_by, {_FIELDS}, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (window_id, spec.key, managed_by, *_values(spec), now_ms, now_ms))
    return by_seq(conn, cursor.lastrowid)


def update(conn: sqlite3.Connection, row: WindowRow, spec: WindowSpec, now_ms: int) -> WindowRow:
    sets = ", ".join(f"{name.strip()} = ?" for name in _FIELDS.split(","))
    conn.execute(f"UPDATE {TABLE} SET {sets}, updated_at = ? WHERE seq = ?", (*_values(spec), now_ms, row.seq))
    return by_seq(conn, row.seq)


def set_active(conn: sqlite3.Connection, seq: int, active: bool) -> None:
    conn.execute(f"UPDATE {TABLE} SET active = ? WHERE seq = ?", (int(active), seq))


def delete(conn: sqlite3.Connection, seqs: list[int]) -> None:
    conn.executemany(f"DELETE FROM {TABLE} WHERE seq = ?", [(seq,) for seq in seqs])


def covers(window, kind: str, subject_id: str, group_id: str | None = None) -> bool:
    """Whether `window` (a WindowRow) names the page resource's subject:
    `kind` is the resource's (monitor, heartbeat, group), `subject_id` its mon_/hbt_/grp_ id,
    `group_id` a monitor's or heartbeat's group now (a window on the group covers it)."""
    if kind == "group":
        return subject_id in window.group_ids
    in_group = group_id is not None and group_id in window.group_ids
    if kind == "monitor":
        return subject_id in window.monitor_ids or in_group
    if kind == "heartbeat":
        return subject_id in window.heartbeat_ids or in_group
    return False


def resolve(conn: sqlite3.Connection, table: str, refs: tuple[str, ...]) -> list[str | None]:
    """Each ref (a key or an id of `table`: monitors, heartbeats) as its id; None: no such row."""
    out = []
    for ref in refs:
        found = conn.execute(f"SELECT id FROM {table} WHERE id = ? OR key = ? ORDER BY id = ? DESC LIMIT 1",
                             (ref, ref, ref)).fetchall()
        out.append(found[0][0] if found else None)
    return out


def resolve_groups(conn: sqlite3.Connection, refs: tuple[str, ...], config: bool) -> list[list[str]]:
    """Each ref as the ids of the groups it names: an id (grp_...), or with `config` also a
    config group's name (a name may be a monitor group and a heartbeat group); []: none."""
    out = []
    for ref in refs:
        found = conn.execute("SELECT id FROM subject_groups WHERE id = ? ORDER BY kind", (ref,)).fetchall()
        if not found and config:
            found = conn.execute("SELECT id FROM subject_groups WHERE managed_by = 'config' AND key = ? "
                                 "ORDER BY kind", (ref,)).fetchall()
        out.append([row[0] for row in found])
    return out


def resolved(conn: sqlite3.Connection, spec: WindowSpec) -> WindowSpec:
    """The config file's spec with its keys as ids (an id naming nothing kept as written)."""
    monitors = [found or ref for ref, found in zip(spec.monitor_ids, resolve(conn, "monitors", spec.monitor_ids))]
    beats = [found or ref for ref, found in zip(spec.heartbeat_ids, resolve(conn, "heartbeats", spec.heartbeat_ids))]
    groups = [group for ref, found in zip(spec.group_ids, resolve_groups(conn, spec.group_ids, True))
              for group in (found or [ref])]
    return msgspec.structs.replace(spec, monitor_ids=tuple(dict.fromkeys(monitors)),
                                   heartbeat_ids=tuple(dict.fromkeys(beats)), group_ids=tuple(dict.fromkeys(groups)))


def members_by_group(conn: sqlite3.Connection, group_ids: set[str]) -> dict[str, tuple[set[str], set[str]]]:
    """Each of these groups -> the ids of its monitors and of its heartbeats now."""
    out: dict[str, tuple[set[str], set[str]]] = {group: (set(), set()) for group in group_ids}
    if not group_ids:
        return out
    marks = ", ".join("?" * len(group_ids))
    for index, table in enumerate(("monitors", "heartbeats")):
        for member, group in conn.execute(f"SELECT id, group_id FROM {table} WHERE group_id IN ({marks})",
                                          list(group_ids)):
            out[group][index].add(member)
    return out


def targeting(conn: sqlite3.Connection, group_id: str) -> list[str]:
    """The ids of the windows that name this group."""
    return [row[0] for row in conn.execute(
        f"SELECT w.id FROM {TABLE} AS w, json_each(w.group_ids) AS j WHERE j.value = ? ORDER BY w.seq", (group_id,))]


def reconcile(conn: sqlite3.Connection, specs: tuple[WindowSpec, ...], now_ms: int
              ) -> tuple[list[WindowRow], list[int]]:
    """Make the config-managed rows match `specs` (inside the caller's transaction);
    -> (rows added, seqs removed)."""
    stored = {row.key: row for row in map(from_row, conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE managed_by = 'config'").fetchall())}
    wanted = {spec.key for spec in specs}
    removed = [row.seq for key, row in stored.items() if key not in wanted]
    delete(conn, removed)
    added = []
    for spec in specs:
        spec = resolved(conn, spec)
        row = stored.get(spec.key)
        if row is None:
            added.append(insert(conn, new_id("mnt"), spec, "config", now_ms))
        elif row.spec() != spec:
            update(conn, row, spec, now_ms)
    return added, removed


def covered_heartbeats(conn: sqlite3.Connection, now: float) -> set[str]:
    """The heartbeats of windows that were on when last said, or are on at `now` (at start,
    before the heartbeats run: MaintenanceService settles them once it is up)."""
    from upstatd.maintenance.windows import active_at
    on = [row for row in all_windows(conn) if row.active or active_at(row.window, now) is not None]
    members = members_by_group(conn, {group for row in on for group in row.group_ids})
    return {target for row in on for target in row.heartbeat_ids}.union(*(beats for _, beats in members.values()))


def list_page(conn: sqlite3.Connection, *, limit: int, starting_after: str | None = None,
              ending_before: str | None = None) -> tuple[list[WindowRow], bool]:
    """One page of windows, newest first."""
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before)
    return [from_row(row) for row in rows], has_more
