"""The escalation_policies table (migration 0019): policies from the config file
(reconciled by key) and from the API, and the `escalation_policy` column of
monitors and heartbeats.

Steps are stored in the pure core's Step shape with every target as an id
(usr_, sch_, ch_), so store/on_call.py `policies()` reads what is written here.
A monitor's or heartbeat's spec keeps its policy as written (a key of the file,
or an id); the column holds it as an id (`link`), which is what escalation
reads.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.config.escalation_policies import PolicySpec
from upstatd.ids import new_id
from upstatd.oncall.escalation import Policy, Step, Target
from upstatd.store import pages

TABLE = "escalation_policies"
COLUMNS = ("seq, id, key, managed_by, name, steps, repeat, repeat_delay_seconds, is_default, metadata, "
           "created_at, updated_at")
# where each target type's id is looked up: (table, extra condition)
TARGET_TABLES = {"user": ("people", ""), "current_on_call": ("on_call_schedules", ""),
                 "schedule_members": ("on_call_schedules", ""), "channel": ("alert_channels", " AND person_id IS NULL")}
SUBJECTS = ("monitors", "heartbeats")


class PolicyRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    name: str
    policy: Policy
    is_default: bool
    metadata: dict[str, str]
    created_at: int
    updated_at: int

    def spec(self) -> PolicySpec:
        return PolicySpec(self.key, self.name, self.policy, self.is_default, self.metadata)


def from_row(row: Any) -> PolicyRow:
    seq, policy_id, key, managed_by, name, steps, repeat, delay, is_default, meta, created_at, updated_at = row
    policy = Policy(msgspec.json.decode(steps, type=tuple[Step, ...]), repeat, float(delay))
    return PolicyRow(seq, policy_id, key, managed_by, name, policy, bool(is_default), msgspec.json.decode(meta),
                     created_at, updated_at)


def _values(spec: PolicySpec) -> tuple:
    policy = spec.policy
    return (spec.name, msgspec.json.encode(policy.steps).decode(), policy.repeat, policy.repeat_delay_seconds,
            int(spec.is_default), msgspec.json.encode(spec.metadata).decode())


def get(conn: sqlite3.Connection, policy_id: str) -> PolicyRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (policy_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> PolicyRow:
    return from_row(conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq = ?", (seq,)).fetchone())


def insert(conn: sqlite3.Connection, policy_id: str, spec: PolicySpec, managed_by: str, now_ms: int) -> PolicyRow:
    cursor = conn.execute(
        f"INSERT INTO {TABLE} (id, key, managed_by, name, steps, repeat, repeat_delay_seconds, is_default, "
        "metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (policy_id, spec.key, managed_by, *_values(spec), now_ms, now_ms))
    return by_seq(conn, cursor.lastrowid)


def update(conn: sqlite3.Connection, row: PolicyRow, spec: PolicySpec, now_ms: int) -> PolicyRow:
    conn.execute(f"UPDATE {TABLE} SET name = ?, steps = ?, repeat = ?, repeat_delay_seconds = ?, is_default = ?, "
                 "metadata = ?, updated_at = ? WHERE seq = ?", (*_values(spec), now_ms, row.seq))
    return by_seq(conn, row.seq)


def delete(conn: sqlite3.Connection, seqs: list[int]) -> None:
    conn.executemany(f"DELETE FROM {TABLE} WHERE seq = ?", [(seq,) for seq in seqs])


def other_defaults(conn: sqlite3.Connection, seq: int) -> list[PolicyRow]:
    """The default policies other than this one (at most one, unless written around the commands)."""
    return [from_row(row) for row in conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE is_default = 1 AND seq != ? ORDER BY seq", (seq,))]


def unset_default(conn: sqlite3.Connection, seq: int, now_ms: int) -> PolicyRow:
    conn.execute(f"UPDATE {TABLE} SET is_default = 0, updated_at = ? WHERE seq = ?", (now_ms, seq))
    return by_seq(conn, seq)


def resolve(conn: sqlite3.Connection, table: str, ref: str, where: str = "") -> str | None:
    """A ref (an id, or a config key) of `table` as its id; None: no such row."""
    found = conn.execute(f"SELECT id FROM {table} WHERE (id = ? OR key = ?){where} ORDER BY id = ? DESC LIMIT 1",
                         (ref, ref, ref)).fetchall()
    return found[0][0] if found else None


def target_id(conn: sqlite3.Connection, target: Target) -> str | None:
    """The id of what a target names (a person, a schedule, a shared channel); None: nothing."""
    table, where = TARGET_TABLES[target.type]
    return resolve(conn, table, target.id, where)


def with_ids(conn: sqlite3.Connection, policy: Policy) -> Policy:
    """Every target named by its id; one naming nothing kept as written (the file's check named it)."""
    steps = tuple(Step(step.wait_seconds, tuple(Target(target.type, target_id(conn, target) or target.id)
                                                for target in step.targets)) for step in policy.steps)
    return msgspec.structs.replace(policy, steps=steps)


def named_by(conn: sqlite3.Connection, policy_id: str) -> list[tuple[str, str, str]]:
    """(monitor | heartbeat, id, name) of the subjects whose policy this is."""
    return [(table[:-1], subject_id, name) for table in SUBJECTS for subject_id, name in conn.execute(
        f"SELECT id, name FROM {table} WHERE escalation_policy = ? ORDER BY seq", (policy_id,))]


def link(conn: sqlite3.Connection, table: str, seq: int | None = None) -> None:
    """Set `table`'s escalation_policy column (all rows, or one) from its spec's policy as
    written: an id or key of a policy, as its id; a ref naming none leaves NULL (the default)."""
    ref = f"json_extract({table}.spec, '$.escalation_policy')"
    found = (f"coalesce((SELECT p.id FROM {TABLE} AS p WHERE p.id = {ref}), "
             f"(SELECT p.id FROM {TABLE} AS p WHERE p.key = {ref}))")
    one = "" if seq is None else f" AND seq = {int(seq)}"
    conn.execute(f"UPDATE {table} SET escalation_policy = {found} WHERE escalation_policy IS NOT {found}{one}")


def linked(conn: sqlite3.Connection, table: str, row: Any, by_seq: Any) -> Any:
    """A subject's row just written, its policy column set from its spec, read again."""
    link(conn, table, row.seq)
    return by_seq(conn, row.seq)


def reconcile(conn: sqlite3.Connection, specs: tuple[PolicySpec, ...], now_ms: int
              ) -> tuple[list[PolicyRow], list[PolicyRow], list[PolicyRow], list[PolicyRow]]:
    """Make the config-managed rows match `specs` (inside the caller's transaction), then
    every subject's column; -> (added, updated, removed, kept: removed from the file but
    still named by a subject made over the API, so left in place). A default in the file
    unsets the default of API policies (updated)."""
    stored = {row.key: row for row in map(from_row, conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE managed_by = 'config'").fetchall())}
    wanted = {spec.key for spec in specs}
    gone = [row for key, row in stored.items() if key not in wanted]
    for table in SUBJECTS if gone else ():  # the file's own subjects first: they may have left a gone one
        link(conn, table)
    kept = [row for row in gone if named_by(conn, row.id)]
    removed = [row for row in gone if row not in kept]
    delete(conn, [row.seq for row in removed])
    added, updated = [], []
    for spec in specs:
        spec = msgspec.structs.replace(spec, policy=with_ids(conn, spec.policy))
        row = stored.get(spec.key)
        if row is None:
            added.append(insert(conn, new_id("esc"), spec, "config", now_ms))
        elif row.spec() != spec:
            updated.append(update(conn, row, spec, now_ms))
        if spec.is_default:
            current = added[-1] if row is None else by_seq(conn, row.seq)
            updated += [unset_default(conn, other.seq, now_ms) for other in other_defaults(conn, current.seq)]
    for table in SUBJECTS:
        link(conn, table)
    return added, updated, removed, kept


def list_page(conn: sqlite3.Connection, *, limit: int, starting_after: str | None = None,
              ending_before: str | None = None) -> tuple[list[PolicyRow], bool]:
    """One page of policies, newest first."""
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before)
    return [from_row(row) for row in rows], has_more
