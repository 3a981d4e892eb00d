"""Numbered pages, oldest first, with the total: how the API's dialects that count
pages (Better Stack's `page`/`per_page`) list, beside the cursor pages of
store.pages; a numbered page is an offset page (store/offset_pages.py) by seq.
Filters are store.pages.Where clauses."""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from upstatd.store import (escalation_policies, groups, heartbeats, incidents, monitors, offset_pages, pages,
                           schedules, status_pages)


def page(conn: sqlite3.Connection, table: str, columns: str, number: int, size: int,
         where: pages.Where, descending: bool = False) -> tuple[list[Any], int]:
    """Rows `size * (number - 1)` to `size * number` of `table` matching `where`, by seq, and how many match."""
    return offset_pages.page(conn, table, columns, where, sort_by="seq", descending=descending, limit=size,
                             offset=size * (number - 1))


def monitor_page(conn: sqlite3.Connection, *, number: int, size: int, urls: tuple[str, ...] = (),
                 name: str | None = None, group_id: str | None = None, status: str | None = None,
                 tag: str | None = None, descending: bool = False) -> tuple[list[monitors.MonitorRow], int]:
    """`urls`: the monitor's url is one of them (a dialect's url may stand for several of upstatd's);
    `descending`: newest first."""
    where = (pages.Where().equal("name", name).equal("group_id", group_id)
             .equal("status", status, "status", monitors.STATUSES).tagged(monitors.TABLE, tag))
    if urls:
        where.add(f"url IN ({', '.join('?' * len(urls))})", *urls)
    rows, total = page(conn, monitors.TABLE, monitors.COLUMNS, number, size, where, descending)
    return [monitors.from_row(row) for row in rows], total


def heartbeat_page(conn: sqlite3.Connection, *, number: int, size: int, group_id: str | None = None
                   ) -> tuple[list[heartbeats.HeartbeatRow], int]:
    rows, total = page(conn, heartbeats.TABLE, heartbeats.COLUMNS, number, size,
                       pages.Where().equal("group_id", group_id))
    return [heartbeats.from_row(row) for row in rows], total


def group_page(conn: sqlite3.Connection, kind: str, *, number: int, size: int) -> tuple[list[groups.GroupRow], int]:
    """The groups of one kind ("monitor", "heartbeat")."""
    rows, total = page(conn, groups.TABLE, groups.COLUMNS, number, size, pages.Where("kind = ?", kind))
    return [groups.from_row(row) for row in rows], total


def incident_timeline(conn: sqlite3.Connection, incident_id: str, *, kind: str | None = None,
                      limit: int) -> tuple[list[Any], int]:
    """The newest `limit` entries of an incident's timeline (rows of incidents.UPDATE_COLUMNS),
    oldest first, and how many it has; `kind`: only those ("comment")."""
    where = pages.Where("incident_seq = ?", incidents.seq_of(conn, incident_id)).equal("kind", kind)
    rows, total = offset_pages.page(conn, "incident_updates", incidents.UPDATE_COLUMNS, where, sort_by="seq",
                                    descending=True, limit=limit, offset=0)
    return rows[::-1], total


def incident_entry(conn: sqlite3.Connection, incident_id: str, seq: int, kind: str) -> Any | None:
    """One entry of an incident's timeline, of that kind."""
    return conn.execute(f"SELECT {incidents.UPDATE_COLUMNS} FROM incident_updates WHERE seq = ? AND kind = ? "
                        "AND incident_seq = ?", (seq, kind, incidents.seq_of(conn, incident_id))).fetchone()


def incident_page(conn: sqlite3.Connection, *, number: int, size: int, monitor_id: str | None = None,
                  resolved: bool | None = None, acknowledged: bool | None = None, heartbeat_id: str | None = None,
                  started_from: int | None = None, started_before: int | None = None,
                  metadata: dict[str, str] | None = None) -> tuple[list[incidents.Incident], int]:
    """Incidents, newest first (as Better Stack lists them); `resolved`: resolved or closed or not,
    `acknowledged`: acknowledged at some point or not; `started_from`/`started_before` (ms): it
    started in [from, before); `metadata`: every key holds that value."""
    where = pages.Where()
    for subject_id in (monitor_id, heartbeat_id):  # a heartbeat is an affected subject as a monitor is
        if subject_id is not None:
            where.add(incidents._OF_MONITOR, subject_id)
    if resolved is not None:
        where.add("resolved_at IS NOT NULL" if resolved else "resolved_at IS NULL")
    if acknowledged is not None:
        where.add("acknowledged_at IS NOT NULL" if acknowledged else "acknowledged_at IS NULL")
    if started_from is not None:
        where.add("started_at >= ?", started_from)
    if started_before is not None:
        where.add("started_at < ?", started_before)
    for key, value in (metadata or {}).items():
        where.add("EXISTS (SELECT 1 FROM json_each(incidents.metadata) WHERE key = ? AND value = ?)", key, value)
    rows, total = page(conn, incidents.TABLE, incidents.COLUMNS, number, size, where, descending=True)
    return incidents.with_affected(conn, rows), total


def schedule_page(conn: sqlite3.Connection, *, number: int, size: int) -> tuple[list[schedules.ScheduleRow], int]:
    """On-call schedules, oldest first (the first one made is the dialects' default calendar)."""
    rows, total = page(conn, schedules.TABLE, schedules.COLUMNS, number, size, pages.Where())
    return [schedules.from_row(row) for row in rows], total


def first_schedule(conn: sqlite3.Connection) -> schedules.ScheduleRow | None:
    rows, _ = schedule_page(conn, number=1, size=1)
    return rows[0] if rows else None


def policy_page(conn: sqlite3.Connection, *, number: int, size: int
                ) -> tuple[list[escalation_policies.PolicyRow], int]:
    rows, total = page(conn, escalation_policies.TABLE, escalation_policies.COLUMNS, number, size, pages.Where())
    return [escalation_policies.from_row(row) for row in rows], total


def status_page_page(conn: sqlite3.Connection, *, number: int, size: int) -> tuple[list[status_pages.PageRow], int]:
    rows, total = page(conn, status_pages.PAGES, status_pages.PAGE_COLUMNS, number, size, pages.Where())
    return [status_pages._page(row) for row in rows], total


def section_page(conn: sqlite3.Connection, page_seq: int, *, number: int, size: int
                 ) -> tuple[list[status_pages.SectionRow], int]:
    rows, total = page(conn, status_pages.SECTIONS, status_pages.SECTION_COLUMNS, number, size,
                       pages.Where("page_seq = ?", page_seq))
    return [status_pages._section(row) for row in rows], total


def resource_page(conn: sqlite3.Connection, page_seq: int, *, number: int, size: int
                  ) -> tuple[list[status_pages.ResourceRow], int]:
    rows, total = page(conn, status_pages.RESOURCES, status_pages.RESOURCE_COLUMNS, number, size,
                       pages.Where("page_seq = ?", page_seq))
    return [status_pages._resource(row) for row in rows], total


def report_page(conn: sqlite3.Connection, page_seq: int, *, number: int, size: int
                ) -> tuple[list[status_pages.ReportRow], int]:
    seqs, total = page(conn, status_pages.REPORTS, "seq", number, size, pages.Where("page_seq = ?", page_seq))
    if not seqs:
        return [], total
    wanted = [seq for (seq,) in seqs]
    return status_pages.reports_where(conn, f"seq IN ({', '.join('?' * len(wanted))})", tuple(wanted),
                                      order="seq"), total


# the objects whose `metadata` a metadata page lists: (owner kind, table), in the order listed
METADATA_OWNERS = (("monitor", monitors.TABLE), ("heartbeat", heartbeats.TABLE), ("incident", incidents.TABLE))


class MetadataEntry(NamedTuple):
    owner_kind: str     # monitor | heartbeat | incident
    owner_id: str
    key: str
    value: str


def metadata_page(conn: sqlite3.Connection, *, number: int, size: int, kinds: tuple[str, ...],
                  owner_id: str | None = None) -> tuple[list[MetadataEntry], int]:
    """Every (owner, key, value) of the `metadata` of the objects of `kinds`, by kind, then
    the owner's seq, then key; `owner_id`: of that object only."""
    parts, args = [], []
    for rank, (kind, table) in enumerate(METADATA_OWNERS):
        if kind not in kinds:
            continue
        clause = "" if owner_id is None else f" WHERE {table}.id = ?"
        parts.append(f"SELECT {rank} AS rank, '{kind}' AS kind, {table}.id AS owner, {table}.seq AS seq, "
                     f"entry.key AS key, entry.value AS value FROM {table}, json_each({table}.metadata) AS entry"
                     f"{clause}")
        args += [] if owner_id is None else [owner_id]
    if not parts:
        return [], 0
    union = " UNION ALL ".join(parts)
    (total,) = conn.execute(f"SELECT count(*) FROM ({union})", args).fetchone()
    rows = conn.execute(f"SELECT kind, owner, key, value FROM ({union}) ORDER BY rank, seq, key LIMIT ? OFFSET ?",
                        (*args, size, size * (number - 1))).fetchall()
    return [MetadataEntry(*row) for row in rows], total
