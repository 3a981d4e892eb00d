"""The runbook tables (migration 0021), written here: runbooks from the config
file (reconciled by key) and from the API, every version of each (the current
one included, written with it), and what each is linked to.

A version is a runbook's content: title, body, steps and tags. A change of any
of them writes the next version; a change of links or metadata alone keeps the
version. Links name svc_/mon_/hbt_/esc_ ids; one whose target was deleted since
is kept in the table but not shown (`links`). What the rest of upstatd reads of
runbooks is store/runbook_reads.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any, NamedTuple

from upstatd.config.runbooks import LINK_KINDS, RunbookSpec
from upstatd.ids import new_id
from upstatd.store import pages

TABLE = "runbooks"
COLUMNS = "seq, id, key, managed_by, title, body, steps, tags, version, metadata, created_at, updated_at"
VERSION_COLUMNS = "runbook_id, version, title, body, steps, tags, author, created_at"
# where a linked id is looked up, by its prefix
TARGET_TABLES = {"svc_": "services", "mon_": "monitors", "hbt_": "heartbeats", "esc_": "escalation_policies"}
KIND_TABLES = {kind: TARGET_TABLES[prefix] for kind, (_, prefix) in LINK_KINDS.items()}
_EXISTS = " OR ".join(f"EXISTS (SELECT 1 FROM {table} AS t WHERE t.id = l.target_id)"
                      for table in TARGET_TABLES.values())


class Content(NamedTuple):
    """What a version holds."""
    title: str
    body: str
    steps: tuple[str, ...]
    tags: tuple[str, ...]


class RunbookRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    content: Content
    version: int
    metadata: dict[str, str]
    linked_to: list[str]      # ids of existing targets, sorted
    created_at: int
    updated_at: int


class VersionRow(NamedTuple):
    runbook_id: str
    version: int
    content: Content
    author: str
    created_at: int


def _content(title: str, body: str, steps: str, tags: str) -> Content:
    return Content(title, body, tuple(json.loads(steps)), tuple(json.loads(tags)))


def links(conn: sqlite3.Connection, runbook_id: str) -> list[str]:
    """The ids a runbook is linked to whose targets exist."""
    return [target for (target,) in conn.execute(
        f"SELECT target_id FROM runbook_links AS l WHERE runbook_id = ? AND ({_EXISTS}) ORDER BY target_id",
        (runbook_id,))]


def from_row(conn: sqlite3.Connection, row: Any) -> RunbookRow:
    seq, runbook_id, key, managed_by, title, body, steps, tags, version, meta, created_at, updated_at = row
    return RunbookRow(seq, runbook_id, key, managed_by, _content(title, body, steps, tags), version,
                      json.loads(meta), links(conn, runbook_id), created_at, updated_at)


def get(conn: sqlite3.Connection, runbook_id: str) -> RunbookRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (runbook_id,)).fetchall()
    return from_row(conn, rows[0]) if rows else None


def target_exists(conn: sqlite3.Connection, target_id: str) -> bool:
    table = TARGET_TABLES.get(target_id[:4])
    return table is not None and bool(conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (target_id,)).fetchall())


def _encode(content: Content) -> tuple:
    return content.title, content.body, json.dumps(list(content.steps)), json.dumps(list(content.tags))


def _write_version(conn: sqlite3.Connection, runbook_id: str, version: int, content: Content, author: str,
                   now_ms: int) -> None:
    conn.execute(f"INSERT INTO runbook_versions ({VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (runbook_id, version, *_encode(content), author, now_ms))


def _write_links(conn: sqlite3.Connection, runbook_id: str, targets: Iterable[str]) -> None:
    conn.execute("DELETE FROM runbook_links WHERE runbook_id = ?", (runbook_id,))
    conn.executemany("INSERT OR IGNORE INTO runbook_links (runbook_id, target_id) VALUES (?, ?)",
                     [(runbook_id, target) for target in targets])


def insert(conn: sqlite3.Connection, runbook_id: str, key: str | None, managed_by: str, content: Content,
           meta: dict[str, str], targets: Iterable[str], author: str, now_ms: int) -> RunbookRow:
    """A runbook at version 1, that version and its links."""
    conn.execute(f"INSERT INTO {TABLE} (id, key, managed_by, title, body, steps, tags, version, metadata, "
                 "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                 (runbook_id, key, managed_by, *_encode(content), json.dumps(meta), now_ms, now_ms))
    _write_version(conn, runbook_id, 1, content, author, now_ms)
    _write_links(conn, runbook_id, targets)
    return get(conn, runbook_id)


def stored_links(conn: sqlite3.Connection, runbook_id: str) -> list[str]:
    """Every linked id as stored (a deleted target's too), sorted."""
    return [target for (target,) in conn.execute(
        "SELECT target_id FROM runbook_links WHERE runbook_id = ? ORDER BY target_id", (runbook_id,))]


def update(conn: sqlite3.Connection, row: RunbookRow, content: Content, meta: dict[str, str],
           targets: list[str] | None, author: str, now_ms: int) -> RunbookRow | None:
    """The runbook changed to `content`, `meta` and `targets` (None: links kept); a new version
    when the content differs. None: nothing differs, nothing written."""
    new_content = content != row.content
    new_links = targets is not None and sorted(set(targets)) != stored_links(conn, row.id)
    if not new_content and not new_links and meta == row.metadata:
        return None
    version = row.version + 1 if new_content else row.version
    conn.execute(f"UPDATE {TABLE} SET title = ?, body = ?, steps = ?, tags = ?, version = ?, metadata = ?, "
                 "updated_at = ? WHERE seq = ?", (*_encode(content), version, json.dumps(meta), now_ms, row.seq))
    if new_content:
        _write_version(conn, row.id, version, content, author, now_ms)
    if new_links:
        _write_links(conn, row.id, targets)
    return get(conn, row.id)


def delete(conn: sqlite3.Connection, runbook_id: str) -> None:
    """The runbook, its versions, its links and the steps marked done of it (the incidents'
    timelines keep what was done)."""
    for table, column in ((TABLE, "id"), ("runbook_versions", "runbook_id"), ("runbook_links", "runbook_id"),
                          ("incident_runbook_steps", "runbook_id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (runbook_id,))


def version(conn: sqlite3.Connection, runbook_id: str, number: int) -> VersionRow | None:
    rows = conn.execute(f"SELECT {VERSION_COLUMNS} FROM runbook_versions WHERE runbook_id = ? AND version = ?",
                        (runbook_id, number)).fetchall()
    return _version(rows[0]) if rows else None


def _version(row: Any) -> VersionRow:
    runbook_id, number, title, body, steps, tags, author, created_at = row
    return VersionRow(runbook_id, number, _content(title, body, steps, tags), author, created_at)


def versions_page(conn: sqlite3.Connection, runbook_id: str, *, limit: int, starting_after: int | None = None,
                  ending_before: int | None = None) -> tuple[list[VersionRow], bool]:
    """One page of a runbook's versions, newest first; the cursors are version numbers."""
    pages.check(limit, starting_after, ending_before)
    where, args = "runbook_id = ?", [runbook_id]
    if starting_after is not None:
        where, args = where + " AND version < ?", [*args, starting_after]
    if ending_before is not None:
        where, args = where + " AND version > ?", [*args, ending_before]
    order = "ASC" if ending_before is not None else "DESC"
    rows = conn.execute(f"SELECT {VERSION_COLUMNS} FROM runbook_versions WHERE {where} ORDER BY version {order} "
                        "LIMIT ?", (*args, limit + 1)).fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if ending_before is not None:
        rows.reverse()
    return [_version(row) for row in rows], has_more


def list_page(conn: sqlite3.Connection, *, tag: str | None = None, linked_to: str | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None) -> tuple[list[RunbookRow], bool]:
    """One page of runbooks, newest first: with `tag` among their tags, linked to `linked_to`."""
    where = pages.Where()
    if tag is not None:
        where.add("EXISTS (SELECT 1 FROM json_each(runbooks.tags) WHERE value = ?)", tag)
    if linked_to is not None:
        where.add("EXISTS (SELECT 1 FROM runbook_links AS l WHERE l.runbook_id = runbooks.id AND l.target_id = ?)",
                  linked_to)
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [from_row(conn, row) for row in rows], has_more


# -- the config file ---------------------------------------------------------------------

def resolve(conn: sqlite3.Connection, kind: str, ref: str) -> str | None:
    """A linked key (or id) of `kind` (LINK_KINDS) as its id; None: it names nothing."""
    table = KIND_TABLES[kind]
    found = conn.execute(f"SELECT id FROM {table} WHERE id = ? OR key = ? ORDER BY id = ? DESC LIMIT 1",
                         (ref, ref, ref)).fetchall()
    return found[0][0] if found else None


def spec_targets(conn: sqlite3.Connection, spec: RunbookSpec) -> tuple[list[str], list[str]]:
    """The ids a config runbook's linked_to names, and the refs that name nothing (one made
    over the API and deleted since: the file's check let its id pass)."""
    found, missing = [], []
    for kind, refs in spec.linked_to.items():
        for ref in refs:
            target = resolve(conn, kind, ref)
            (found if target is not None else missing).append(target or ref)
    return sorted(set(found)), missing


def spec_content(spec: RunbookSpec) -> Content:
    return Content(spec.title, spec.body, tuple(spec.steps), tuple(spec.tags))


def reconcile(conn: sqlite3.Connection, specs: tuple[RunbookSpec, ...], now_ms: int
              ) -> tuple[list[RunbookRow], list[RunbookRow], list[RunbookRow], dict[str, list[str]]]:
    """Make the config-managed runbooks match `specs` (inside the caller's transaction);
    -> (added, updated, removed, {key: refs that name nothing}). Unchanged ones write nothing."""
    stored = {row.key: row for row in (from_row(conn, row) for row in conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE managed_by = 'config'").fetchall())}
    wanted = {spec.key for spec in specs}
    removed = [row for key, row in stored.items() if key not in wanted]
    for row in removed:
        delete(conn, row.id)
    added, updated, missing = [], [], {}
    for spec in specs:
        targets, unknown = spec_targets(conn, spec)
        if unknown:
            missing[spec.key] = unknown
        row = stored.get(spec.key)
        if row is None:
            added.append(insert(conn, new_id("rbk"), spec.key, "config", spec_content(spec), dict(spec.metadata),
                                targets, "config", now_ms))
            continue
        changed = update(conn, row, spec_content(spec), dict(spec.metadata), targets, "config", now_ms)
        if changed is not None:
            updated.append(changed)
    return added, updated, removed, missing


def mark_step(conn: sqlite3.Connection, incident_id: str, runbook_id: str, version: int, step: int,
              done_by: str, done_at: int) -> None:
    """Step `step` of the runbook's `version` done on the incident (read back by store/runbook_reads.py)."""
    conn.execute("INSERT INTO incident_runbook_steps (incident_id, runbook_id, version, step, done_by, done_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (incident_id, runbook_id, version, step, done_by, done_at))
