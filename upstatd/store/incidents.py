"""Incidents in SQLite: the incident rows, their affected monitors and their
timeline (incident_updates). Times are Unix ms.

Two ways of writing, one shape: `insert_statements`, `save_statement` and
`update_statement` return (sql, params) pairs that the probe path queues on the
writer (`writer.add`, committed with the state change that caused them) and the
API path executes inside its `writer.run` job. Rows that belong to an incident
find its seq by its id (a subquery), so a queued insert needs no read.
"""

from __future__ import annotations

import sqlite3
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import msgspec

from upstatd.errors import Malformed
from upstatd.incidents.lifecycle import SEVERITIES, STATUSES
from upstatd.store import pages

TABLE = "incidents"
COLUMNS = ("seq, id, status, severity, type, source, title, error_message, subject_id, started_at, "
           "acknowledged_at, acknowledged_by, resolved_at, closed_at, metadata, created_at, updated_at, caused_by, "
           "held_until, regions")
UPDATE_COLUMNS = "seq, incident_seq, created_at, kind, status, message, author"
SOURCES = ("system", "manual")
UPDATE_KINDS = ("created", "comment", "acknowledged", "resolved", "reopened", "closed", "updated", "escalated",
                "grouped", "released", "runbook_step")

INSERT = ("INSERT INTO incidents (id, status, severity, type, source, title, error_message, subject_id, "
          "started_at, acknowledged_at, acknowledged_by, resolved_at, closed_at, metadata, created_at, updated_at, "
          "caused_by, held_until, regions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_AFFECTED = ("INSERT OR IGNORE INTO incident_monitors (incident_seq, monitor_id) "
                   "SELECT seq, ? FROM incidents WHERE id = ?")
SAVE = ("UPDATE incidents SET status = ?, severity = ?, type = ?, title = ?, error_message = ?, "
        "acknowledged_at = ?, acknowledged_by = ?, resolved_at = ?, closed_at = ?, metadata = ?, updated_at = ?, "
        "caused_by = ?, held_until = ?, regions = ? WHERE id = ?")
INSERT_UPDATE = ("INSERT INTO incident_updates (incident_seq, created_at, kind, status, message, author) "
                 "SELECT seq, ?, ?, ?, ?, ? FROM incidents WHERE id = ?")

_encoder = msgspec.json.Encoder()


@dataclass(slots=True)
class Incident:
    id: str
    status: str
    severity: str
    type: str
    source: str
    title: str
    error_message: str | None
    subject_id: str | None        # system incidents: the mon_/hbt_ whose failure opened it
    started_at: int
    created_at: int
    updated_at: int
    acknowledged_at: int | None = None
    acknowledged_by: str | None = None
    resolved_at: int | None = None
    closed_at: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    affected: list[str] = field(default_factory=list)
    seq: int | None = None        # unknown until read back (queued inserts)
    # root-cause grouping (catalog/grouping.py): the incident of the failing dependency that caused this
    # one (kept as history after a release), until when its alerts are held (Unix ms), and, on a root,
    # the incidents it caused (not a column: read from theirs)
    caused_by: str | None = None
    held_until: int | None = None
    caused_incidents: list[str] = field(default_factory=list)
    # monitors probed from several regions (docs/regions.md): the regions that saw it fail, in the
    # order they first did; None for every other incident
    regions: list[str] | None = None

    def replace(self, **changes: Any) -> Incident:
        return dataclasses.replace(self, **changes)


def duration_seconds(incident: Incident) -> float | None:
    """From the start to the (last) resolution; null while it is open or acknowledged."""
    if incident.resolved_at is None:
        return None
    return round(max(0, incident.resolved_at - incident.started_at) / 1000, 3)


# -- statements --------------------------------------------------------------------------

def insert_statements(incident: Incident) -> list[tuple[str, tuple]]:
    out = [(INSERT, (incident.id, incident.status, incident.severity, incident.type, incident.source,
                     incident.title, incident.error_message, incident.subject_id, incident.started_at,
                     incident.acknowledged_at, incident.acknowledged_by, incident.resolved_at, incident.closed_at,
                     _encoder.encode(incident.metadata).decode(), incident.created_at, incident.updated_at,
                     incident.caused_by, incident.held_until, _regions_json(incident.regions)))]
    out += [(INSERT_AFFECTED, (monitor_id, incident.id)) for monitor_id in incident.affected]
    return out


def save_statement(incident: Incident) -> tuple[str, tuple]:
    return (SAVE, (incident.status, incident.severity, incident.type, incident.title, incident.error_message,
                   incident.acknowledged_at, incident.acknowledged_by, incident.resolved_at, incident.closed_at,
                   _encoder.encode(incident.metadata).decode(), incident.updated_at, incident.caused_by,
                   incident.held_until, _regions_json(incident.regions), incident.id))


def _regions_json(regions: list[str] | None) -> str | None:
    return None if regions is None else _encoder.encode(regions).decode()


def update_statement(incident_id: str, at_ms: int, kind: str, status: str, message: str | None,
                     author: str) -> tuple[str, tuple]:
    """A timeline entry."""
    return (INSERT_UPDATE, (at_ms, kind, status, message, author, incident_id))


def execute(conn: sqlite3.Connection, statements: list[tuple[str, tuple]]) -> None:
    for sql, params in statements:
        conn.execute(sql, params)


# -- reads --------------------------------------------------------------------------------

def from_row(row: Any, affected: list[str] | None = None, caused: list[str] | None = None) -> Incident:
    (seq, incident_id, status, severity, kind, source, title, error_message, subject_id, started_at,
     acknowledged_at, acknowledged_by, resolved_at, closed_at, metadata, created_at, updated_at, caused_by,
     held_until, regions) = row
    return Incident(incident_id, status, severity, kind, source, title, error_message, subject_id, started_at,
                    created_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, closed_at,
                    msgspec.json.decode(metadata), list(affected or []), seq, caused_by, held_until,
                    list(caused or []), None if regions is None else msgspec.json.decode(regions))


def affected_of(conn: sqlite3.Connection, seqs: list[int]) -> dict[int, list[str]]:
    if not seqs:
        return {}
    out: dict[int, list[str]] = {seq: [] for seq in seqs}
    marks = ", ".join("?" for _ in seqs)
    # in the order they were given (rowid)
    rows = conn.execute(
        f"SELECT incident_seq, monitor_id FROM incident_monitors WHERE incident_seq IN ({marks}) "
        f"ORDER BY incident_seq, rowid", tuple(seqs)).fetchall()
    for seq, monitor_id in rows:
        out[seq].append(monitor_id)
    return out


def caused_of(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[str]]:
    """root incident id -> the ids of the incidents it caused, oldest first."""
    if not ids:
        return {}
    out: dict[str, list[str]] = {}
    marks = ", ".join("?" for _ in ids)
    for incident_id, caused_by in conn.execute(
            f"SELECT id, caused_by FROM incidents WHERE caused_by IN ({marks}) ORDER BY seq", tuple(ids)):
        out.setdefault(caused_by, []).append(incident_id)
    return out


def with_affected(conn: sqlite3.Connection, rows: list[Any]) -> list[Incident]:
    affected = affected_of(conn, [row[0] for row in rows])
    caused = caused_of(conn, [row[1] for row in rows])
    return [from_row(row, affected.get(row[0]), caused.get(row[1])) for row in rows]


def get(conn: sqlite3.Connection, incident_id: str) -> Incident | None:
    rows = list(conn.execute(f"SELECT {COLUMNS} FROM incidents WHERE id = ?", (incident_id,)).fetchall())
    if not rows:
        return None
    return (with_affected(conn, rows))[0]


def tracked(conn: sqlite3.Connection) -> list[Incident]:
    """Each subject's latest system incident, unless it is closed: what the
    daemon keeps in memory (the open one, or the resolved one a new failure may reopen)."""
    rows = list(conn.execute(
        f"SELECT {COLUMNS} FROM incidents WHERE seq IN (SELECT max(seq) FROM incidents "
        f"WHERE subject_id IS NOT NULL GROUP BY subject_id) AND status != 'closed'").fetchall())
    return with_affected(conn, rows)


def _filtered(status: str | None, severity: str | None, source: str | None, monitor_id: str | None) -> pages.Where:
    """The filters the incident lists share (cursor and offset pages)."""
    where = (pages.Where()
             .equal("status", status, "status", STATUSES)
             .equal("severity", severity, "severity", SEVERITIES)
             .equal("source", source, "source", SOURCES))
    if monitor_id is not None:
        where.add(_OF_MONITOR, monitor_id)
    return where


def list_page(conn: sqlite3.Connection, *, status: str | None = None, severity: str | None = None,
              source: str | None = None, monitor_id: str | None = None, created_gte: int | None = None,
              created_lte: int | None = None, since: int | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None
              ) -> tuple[list[Incident], bool]:
    """One page of incidents, newest first; `since` (Unix seconds): changed at or after it."""
    where = _filtered(status, severity, source, monitor_id)
    where.created(created_gte, created_lte)
    if since is not None:
        where.add("updated_at >= ?", since * 1000)
    return _page(conn, where, limit, starting_after, ending_before)


def monitor_page(conn: sqlite3.Connection, monitor_id: str, *, from_: int | None = None, to: int | None = None,
                 limit: int, starting_after: str | None = None, ending_before: str | None = None
                 ) -> tuple[list[Incident], bool]:
    """One page of a monitor's incidents, newest first; from/to (Unix seconds): those that overlap the window."""
    where = pages.Where(_OF_MONITOR, monitor_id)
    if from_ is not None and to is not None and to < from_:
        raise Malformed(f"to ({to}) is before from ({from_})", "to")
    if from_ is not None:  # still going then, or resolved after it began
        where.add("(resolved_at IS NULL OR resolved_at >= ?)", from_ * 1000)
    if to is not None:
        where.add("started_at < ?", (to + 1) * 1000)
    return _page(conn, where, limit, starting_after, ending_before)


_OF_MONITOR = "seq IN (SELECT incident_seq FROM incident_monitors WHERE monitor_id = ?)"


def _page(conn: sqlite3.Connection, where: pages.Where, limit: int, starting_after: str | None,
          ending_before: str | None) -> tuple[list[Incident], bool]:
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return with_affected(conn, rows), has_more


def seq_of(conn: sqlite3.Connection, incident_id: str) -> int | None:
    rows = conn.execute("SELECT seq FROM incidents WHERE id = ?", (incident_id,)).fetchall()
    return rows[0][0] if rows else None


def updates_page(conn: sqlite3.Connection, incident_id: str, *, limit: int, starting_after: str | None = None,
                 ending_before: str | None = None) -> tuple[list[Any], bool]:
    """One page of an incident's timeline (rows of UPDATE_COLUMNS), newest first; cursors are iup_ ids.
    An incident opened a moment ago may not be committed yet: its timeline is empty until it is."""
    incident_seq = seq_of(conn, incident_id)
    return pages.page(conn, "incident_updates", UPDATE_COLUMNS, limit, starting_after, ending_before,
                      "incident_seq = ?", (incident_seq,),
                      pages.child_cursor("iup", "incident_updates", "incident_seq", incident_seq))


def last_started_for(conn: sqlite3.Connection, monitor_id: str) -> int | None:
    """When the monitor's latest incident started (Unix ms), or None."""
    rows = conn.execute(
        "SELECT max(i.started_at) FROM incident_monitors AS m JOIN incidents AS i ON i.seq = m.incident_seq "
        "WHERE m.monitor_id = ?", (monitor_id,)).fetchall()
    return rows[0][0] if rows else None


# the columns an offset page (api/dialects/uptimeio.py) may sort by
SORTABLE = ("created_at", "updated_at", "started_at", "resolved_at", "severity", "status", "title")


def offset_page(conn: sqlite3.Connection, *, status: str | None = None, severity: str | None = None,
                source: str | None = None, monitor_id: str | None = None, since_ms: int | None = None,
                sort_by: str = "created_at", descending: bool = True, limit: int, offset: int
                ) -> tuple[list[Incident], int]:
    """Incidents by limit and offset, with how many match; `since_ms`: changed at or after it."""
    from upstatd.store import offset_pages
    where = _filtered(status, severity, source, monitor_id)
    if since_ms is not None:
        where.add("updated_at >= ?", since_ms)
    pages.one_of("sort_by", sort_by, SORTABLE)
    rows, total = offset_pages.page(conn, TABLE, COLUMNS, where, sort_by=sort_by, descending=descending,
                                    limit=limit, offset=offset)
    return with_affected(conn, rows), total


def updates_offset_page(conn: sqlite3.Connection, incident_id: str, *, descending: bool = True, limit: int,
                        offset: int) -> tuple[list[Any], int]:
    """An incident's timeline (rows of UPDATE_COLUMNS) by limit and offset, with how many entries it has."""
    from upstatd.store import offset_pages
    where = pages.Where("incident_seq = ?", seq_of(conn, incident_id))
    return offset_pages.page(conn, "incident_updates", UPDATE_COLUMNS, where, sort_by="created_at",
                             descending=descending, limit=limit, offset=offset)
