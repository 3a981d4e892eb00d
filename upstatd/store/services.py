"""The writer's SQL of the catalog (tables of migration 0020): services from the
config file (reconciled by key) and from the API, the dependencies between them,
and the `service_id` column of monitors and heartbeats.

Reads of the graph as a whole (edges, names, members, member states) are
store/catalog.py's, the one reader grouping, runbooks and status pages share.
A monitor's or heartbeat's spec keeps its service as written (a key of the file,
or an id); the column holds it as an id (`link`).
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.config.catalog import Link, ServiceSpec
from upstatd.store import pages

TABLE = "services"
EDGES = "service_dependencies"
COLUMNS = ("seq, id, key, managed_by, name, description, owner_type, owner_id, tier, links, tags, metadata, "
           "created_at, updated_at")
SUBJECTS = ("monitors", "heartbeats")
OWNER_TABLES = {"user": "people", "schedule": "on_call_schedules"}


class ServiceRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    name: str
    description: str
    owner: tuple[str, str] | None     # (user | schedule, usr_/sch_ id)
    tier: int | None
    links: tuple[Link, ...]
    tags: tuple[str, ...]
    metadata: dict[str, str]
    created_at: int
    updated_at: int

    def fields(self) -> tuple:
        """What an edit can change (compared to see whether one did)."""
        return (self.name, self.description, self.owner, self.tier, self.links, self.tags, self.metadata)


def from_row(row: Any) -> ServiceRow:
    (seq, service_id, key, managed_by, name, description, owner_type, owner_id, tier, links, tags, meta,
     created_at, updated_at) = row
    return ServiceRow(seq, service_id, key, managed_by, name, description,
                      None if owner_type is None else (owner_type, owner_id), tier,
                      msgspec.json.decode(links, type=tuple[Link, ...]), tuple(msgspec.json.decode(tags)),
                      msgspec.json.decode(meta), created_at, updated_at)


def _values(name: str, description: str, owner: tuple[str, str] | None, tier: int | None,
            links: tuple[Link, ...], tags: tuple[str, ...], meta: dict[str, str]) -> tuple:
    return (name, description, None if owner is None else owner[0], None if owner is None else owner[1], tier,
            msgspec.json.encode(links).decode(), msgspec.json.encode(list(tags)).decode(),
            msgspec.json.encode(meta).decode())


def get(conn: sqlite3.Connection, service_id: str) -> ServiceRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (service_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> ServiceRow:
    return from_row(conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq = ?", (seq,)).fetchone())


def every(conn: sqlite3.Connection) -> list[ServiceRow]:
    return [from_row(row) for row in conn.execute(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY seq")]


def insert(conn: sqlite3.Connection, service_id: str, key: str | None, managed_by: str, fields: tuple,
           now_ms: int) -> ServiceRow:
    """`fields`: (name, description, owner, tier, links, tags, metadata), as ServiceRow.fields()."""
    cursor = conn.execute(
        f"INSERT INTO {TABLE} (id, key, managed_by, name, description, owner_type, owner_id, tier, links, tags, "
        "metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (service_id, key, managed_by, *_values(*fields), now_ms, now_ms))
    return by_seq(conn, cursor.lastrowid)


def update(conn: sqlite3.Connection, row: ServiceRow, fields: tuple, now_ms: int) -> ServiceRow:
    conn.execute(f"UPDATE {TABLE} SET name = ?, description = ?, owner_type = ?, owner_id = ?, tier = ?, links = ?, "
                 "tags = ?, metadata = ?, updated_at = ? WHERE seq = ?", (*_values(*fields), now_ms, row.seq))
    return by_seq(conn, row.seq)


def touch(conn: sqlite3.Connection, service_id: str, now_ms: int) -> None:
    """A service whose dependencies changed is updated too (its shape lists them)."""
    conn.execute(f"UPDATE {TABLE} SET updated_at = ? WHERE id = ?", (now_ms, service_id))


def delete(conn: sqlite3.Connection, row: ServiceRow) -> None:
    """The service, the edges it is on either end of, and its members' column (they belong to none)."""
    conn.execute(f"DELETE FROM {EDGES} WHERE service_id = ?1 OR depends_on_id = ?1", (row.id,))
    for table in SUBJECTS:
        conn.execute(f"UPDATE {table} SET service_id = NULL WHERE service_id = ?", (row.id,))
    conn.execute(f"DELETE FROM {TABLE} WHERE seq = ?", (row.seq,))


# -- dependencies -------------------------------------------------------------

class Edge(NamedTuple):
    service_id: str
    depends_on_id: str
    managed_by: str
    created_at: int


def edge(conn: sqlite3.Connection, service_id: str, depends_on_id: str) -> Edge | None:
    rows = conn.execute(f"SELECT service_id, depends_on_id, managed_by, created_at FROM {EDGES} "
                        "WHERE service_id = ? AND depends_on_id = ?", (service_id, depends_on_id)).fetchall()
    return Edge(*rows[0]) if rows else None


def edges_of(conn: sqlite3.Connection, service_id: str) -> list[Edge]:
    """What `service_id` needs directly, in the order the edges were made."""
    return [Edge(*row) for row in conn.execute(
        f"SELECT service_id, depends_on_id, managed_by, created_at FROM {EDGES} WHERE service_id = ? "
        "ORDER BY created_at, depends_on_id", (service_id,))]


def add_edge(conn: sqlite3.Connection, service_id: str, depends_on_id: str, managed_by: str, now_ms: int) -> None:
    """The edge, made the file's when the file names it (an API edge of the same pair included)."""
    conn.execute(f"INSERT INTO {EDGES} (service_id, depends_on_id, managed_by, created_at) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (service_id, depends_on_id) DO UPDATE SET managed_by = excluded.managed_by",
                 (service_id, depends_on_id, managed_by, now_ms))


def remove_edge(conn: sqlite3.Connection, service_id: str, depends_on_id: str) -> None:
    conn.execute(f"DELETE FROM {EDGES} WHERE service_id = ? AND depends_on_id = ?", (service_id, depends_on_id))


def dependents(conn: sqlite3.Connection, service_id: str) -> list[tuple[str, str]]:
    """(id, name) of the services that need `service_id` directly."""
    return list(conn.execute(
        f"SELECT s.id, s.name FROM {EDGES} e JOIN {TABLE} s ON s.id = e.service_id WHERE e.depends_on_id = ? "
        "ORDER BY s.seq", (service_id,)))


def needed_over_the_api(conn: sqlite3.Connection, service_id: str) -> bool:
    """Whether an edge made over the API points at `service_id` (a reload then keeps it)."""
    return conn.execute(f"SELECT 1 FROM {EDGES} WHERE depends_on_id = ? AND managed_by = 'api' LIMIT 1",
                        (service_id,)).fetchone() is not None


def owning(conn: sqlite3.Connection, owner_type: str, owner_id: str) -> list[tuple[str, str]]:
    """(id, name) of the services a person or schedule owns (their deletes are refused meanwhile)."""
    return list(conn.execute(f"SELECT id, name FROM {TABLE} WHERE owner_type = ? AND owner_id = ? ORDER BY seq",
                             (owner_type, owner_id)))


def owner_id(conn: sqlite3.Connection, owner_type: str, ref: str) -> str | None:
    """A person's or schedule's id from its id or config key; None: no such row."""
    found = conn.execute(f"SELECT id FROM {OWNER_TABLES[owner_type]} WHERE id = ? OR key = ? "
                         "ORDER BY id = ? DESC LIMIT 1", (ref, ref, ref)).fetchall()
    return found[0][0] if found else None


def resolve(conn: sqlite3.Connection, ref: str) -> str | None:
    """A service's id from its id or config key; None: no such service."""
    found = conn.execute(f"SELECT id FROM {TABLE} WHERE id = ? OR key = ? ORDER BY id = ? DESC LIMIT 1",
                         (ref, ref, ref)).fetchall()
    return found[0][0] if found else None


# -- members ------------------------------------------------------------------

def link(conn: sqlite3.Connection, table: str, seq: int | None = None) -> None:
    """Set `table`'s service_id (all rows, or one) from its spec's service as written: an id
    or key of a service, as its id; a ref naming none leaves NULL."""
    ref = f"json_extract({table}.spec, '$.service')"
    found = (f"coalesce((SELECT s.id FROM {TABLE} AS s WHERE s.id = {ref}), "
             f"(SELECT s.id FROM {TABLE} AS s WHERE s.key = {ref}))")
    one = "" if seq is None else f" AND seq = {int(seq)}"
    conn.execute(f"UPDATE {table} SET service_id = {found} WHERE service_id IS NOT {found}{one}")


def linked(conn: sqlite3.Connection, table: str, row: Any, by_seq: Any) -> Any:
    """A subject's row just written, its service column set from its spec, read again."""
    link(conn, table, row.seq)
    return by_seq(conn, row.seq)


def members(conn: sqlite3.Connection, service_id: str) -> list[str]:
    return [subject_id for table in SUBJECTS for subject_id, in conn.execute(
        f"SELECT id FROM {table} WHERE service_id = ? ORDER BY seq", (service_id,))]


# -- the config file ----------------------------------------------------------

def config_rows(conn: sqlite3.Connection) -> dict[str, ServiceRow]:
    return {row.key: row for row in map(from_row, conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE managed_by = 'config'").fetchall())}


def config_edges(conn: sqlite3.Connection) -> list[Edge]:
    return [Edge(*row) for row in conn.execute(
        f"SELECT service_id, depends_on_id, managed_by, created_at FROM {EDGES} WHERE managed_by = 'config'")]


def spec_fields(conn: sqlite3.Connection, spec: ServiceSpec) -> tuple:
    """A spec as ServiceRow.fields(), its owner as an id (one naming nothing: no owner; the file's
    check named it)."""
    owner = None
    if spec.owner is not None:
        found = owner_id(conn, *spec.owner)
        owner = None if found is None else (spec.owner[0], found)
    return (spec.name, spec.description, owner, spec.tier, spec.links, spec.tags, dict(spec.metadata))


# -- lists ----------------------------------------------------------------------

def list_page(conn: sqlite3.Connection, *, tag: str | None = None, owner_id: str | None = None,
              tier: int | None = None, managed_by: str | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None
              ) -> tuple[list[ServiceRow], bool]:
    """One page of services, newest first."""
    where = (pages.Where()
             .equal("owner_id", owner_id)
             .equal("tier", tier)
             .equal("managed_by", managed_by, "managed_by", ("config", "api")))
    if tag is not None:
        where.add(f"EXISTS (SELECT 1 FROM json_each({TABLE}.tags) WHERE value = ?)", tag)
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [from_row(row) for row in rows], has_more


def dependency_page(conn: sqlite3.Connection, service_id: str, *, limit: int, starting_after: str | None = None,
                    ending_before: str | None = None) -> tuple[list[ServiceRow], bool]:
    """One page of the services `service_id` needs directly, newest first."""
    where = pages.Where(f"id IN (SELECT depends_on_id FROM {EDGES} WHERE service_id = ?)", service_id)
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [from_row(row) for row in rows], has_more
