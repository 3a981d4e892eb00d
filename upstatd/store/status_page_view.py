"""What the public status page renderer reads: one call, `page_view(conn,
slug_or_host, now_ms)`, gives everything a page shows as plain NamedTuples;
`report_archive(conn, page_seq, before=, after=)` pages through its resolved
reports. Read-only; no HTML here.

    PageView
      page              store.status_pages.PageRow: id, name, slug, custom_domain, logo_etag (None: no logo),
                        accent_color (#rrggbb or None), footer_text, password_hash (None: public;
                        check a visitor's with status_pages.password.verify), timezone (IANA, for
                        the daily bars), published, metadata, created_at, updated_at (Unix ms)
      sections          [Section], in order: first the resources outside any section (id None,
                        name None, position -1) when there are some, then each section by
                        (position, creation); a section with no resources is listed too
        Section         id (sps_…), name, position, resources: [Resource] by (position, creation)
        Resource        id (spr_…), kind ("monitor" | "heartbeat" | "group"), seq (the subject's row
                        seq, the key of its checks / flips), subject_id (mon_… / hbt_… / grp_…),
                        public_name, show_uptime, created_at (the subject's, ms: bars start there),
                        status ("active" | "paused"), state (monitors: pending/up/down/degraded/
                        maintenance; heartbeats: new/up/late/down), state_since (ms), members
                        ([Resource] of a group: its monitors or heartbeats now, oldest first, each
                        with the group resource's id and public_name; a group's own status is
                        "active", its state the worst of its active members' (groups/states.py)
                        or None when it has none, its state_since the latest of theirs),
                        regions (a monitor probed from several regions, docs/regions.md: (region,
                        state) of each, in the monitor's order, as last confirmed in monitor_regions;
                        `pending` before a region's first result, or while all its agents are down;
                        () otherwise)
      active_reports    [Report] not resolved, newest first
      recent_reports    [Report] resolved within RECENT_DAYS before now_ms, newest resolved first
        Report          id (rpt_…), title, status (investigating | identified | monitoring |
                        resolved: its last update's), incident_id, affected_resource_ids (spr_…),
                        created_at, updated_at, resolved_at (ms; None while active),
                        updates: [Update] oldest first
        Update          id (rpu_…), status, message, created_at (ms)
      windows           [store.maintenance.WindowRow] that cover a resource on the page
                        (store/maintenance.covers decides), by seq; on, past and future alike

    Archive             reports: [Report] (resolved, newest created first), older / newer: the
                        id (rpt_…) to page from with before= / after=, None at either end

The bars, uptime figures and banner are the renderer's to compute from these
(the subjects' histories: store/uptime.py).
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

import msgspec

from upstatd.groups.states import worst
from upstatd.ids import seq_id
from upstatd.store import maintenance, status_pages as store
from upstatd.store.maintenance import WindowRow
from upstatd.store.status_pages import PageRow, ReportRow

RECENT_DAYS = 14
_TABLES = {"monitor": "monitors", "heartbeat": "heartbeats"}


class Resource(NamedTuple):
    id: str
    kind: str
    seq: int
    subject_id: str
    public_name: str
    show_uptime: bool
    created_at: int
    status: str
    state: str | None
    state_since: int | None
    members: tuple[Resource, ...] = ()
    group_id: str | None = None     # a monitor's or heartbeat's group (grp_…), if any
    regions: tuple[tuple[str, str], ...] = ()  # (region, its confirmed state): monitors of several regions


class Section(NamedTuple):
    id: str | None
    name: str | None
    position: int
    resources: list[Resource]


class Update(NamedTuple):
    id: str
    status: str
    message: str
    created_at: int


class Report(NamedTuple):
    id: str
    title: str
    status: str
    incident_id: str | None
    affected_resource_ids: list[str]
    created_at: int
    updated_at: int
    resolved_at: int | None
    updates: list[Update]


class Archive(NamedTuple):
    reports: list[Report]
    older: str | None   # page on with before=<this>; None: nothing older
    newer: str | None   # page back with after=<this>; None: nothing newer


class BadCursor(ValueError):
    """A before= or after= that names no report of the page; `param` is which."""

    def __init__(self, param: str, value: str) -> None:
        super().__init__(f"{param}: no status report '{value[:60]}' on this page to page from")
        self.param = param


class PageView(NamedTuple):
    page: PageRow
    sections: list[Section]
    active_reports: list[Report]
    recent_reports: list[Report]
    windows: list[WindowRow] = []


def _report(row: ReportRow) -> Report:
    return Report(row.id, row.title, row.status, row.incident_id, list(row.affected), row.created_at,
                  row.updated_at, row.resolved_at,
                  [Update(seq_id("rpu", update.seq), update.status, update.message, update.created_at)
                   for update in row.updates])


def _subjects(conn: sqlite3.Connection, kind: str, seqs: list[int]) -> dict[int, tuple]:
    """seq -> (created_at, status, current_state, state_since, group_id) of these monitors or heartbeats."""
    if not seqs:
        return {}
    rows = conn.execute(f"SELECT seq, created_at, status, current_state, state_since, group_id FROM {_TABLES[kind]} "
                        f"WHERE seq IN ({', '.join('?' for _ in seqs)})", seqs).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def _regions(conn: sqlite3.Connection, seqs: list[int]) -> dict[int, tuple[tuple[str, str], ...]]:
    """seq -> ((region, state), ...) of these monitors probed from more than one region."""
    if not seqs:
        return {}
    marks = ", ".join("?" for _ in seqs)
    listed = {seq: msgspec.json.decode(regions) for seq, regions in conn.execute(
        f"SELECT seq, json_extract(spec, '$.regions') FROM monitors WHERE seq IN ({marks}) "
        f"AND json_array_length(spec, '$.regions') > 1", seqs)}
    if not listed:
        return {}
    states: dict[int, dict[str, str]] = {}
    for seq, region, state in conn.execute(
            f"SELECT monitor_seq, region, state FROM monitor_regions WHERE monitor_seq IN "
            f"({', '.join('?' for _ in listed)})", list(listed)):
        states.setdefault(seq, {})[region] = state
    # a region whose agents are all down tells nothing now (its results count toward no quorum)
    blind = {region for region, live in conn.execute(
        "SELECT region, max(state = 'up') FROM agents GROUP BY region") if not live}
    return {seq: tuple((name, "pending" if name in blind else states.get(seq, {}).get(name, "pending"))
                       for name in names)
            for seq, names in listed.items()}


def _groups(conn: sqlite3.Connection, seqs: list[int]) -> dict[int, tuple[int, str, list[tuple]]]:
    """seq -> (created_at, kind, [(seq, id, created_at, status, current_state, state_since) of each
    member, oldest first]) of these groups."""
    if not seqs:
        return {}
    rows = conn.execute(f"SELECT seq, id, kind, created_at FROM subject_groups "
                        f"WHERE seq IN ({', '.join('?' for _ in seqs)})", seqs).fetchall()
    out = {}
    for seq, group_id, kind, created_at in rows:
        members = conn.execute(f"SELECT seq, id, created_at, status, current_state, state_since "
                               f"FROM {_TABLES[kind]} WHERE group_id = ? ORDER BY seq", (group_id,)).fetchall()
        out[seq] = (created_at, kind, [tuple(member) for member in members])
    return out


def _group(row: store.ResourceRow, found: tuple[int, str, list[tuple]]) -> Resource:
    created_at, kind, members = found
    shown = tuple(Resource(row.id, kind, seq, member_id, row.public_name, row.show_uptime, *rest)
                  for seq, member_id, *rest in members)
    return Resource(row.id, "group", row.subject_seq, row.subject_id, row.public_name, row.show_uptime, created_at,
                    "active", worst(kind, [m.state for m in shown if m.status == "active"]),
                    max((m.state_since for m in shown), default=None), shown)


def _sections(conn: sqlite3.Connection, page_seq: int) -> list[Section]:
    rows = store.resources_of(conn, page_seq)
    found = {kind: _subjects(conn, kind, [row.subject_seq for row in rows if row.kind == kind]) for kind in _TABLES}
    groups = _groups(conn, [row.subject_seq for row in rows if row.kind == "group"])
    regions = _regions(conn, [row.subject_seq for row in rows if row.kind == "monitor"])
    by_section: dict[int | None, list[Resource]] = {}
    for row in rows:
        if row.kind == "group":
            group = groups.get(row.subject_seq)
            if group is not None:  # else deleted in a transaction this read does not see yet: not shown
                by_section.setdefault(row.section_seq, []).append(_group(row, group))
            continue
        subject = found[row.kind].get(row.subject_seq)
        if subject is None:  # deleted in a transaction this read does not see yet: not shown
            continue
        *shown, group_id = subject
        by_section.setdefault(row.section_seq, []).append(Resource(
            row.id, row.kind, row.subject_seq, row.subject_id, row.public_name, row.show_uptime, *shown,
            group_id=group_id, regions=regions.get(row.subject_seq, ()) if row.kind == "monitor" else ()))
    out = [Section(None, None, -1, by_section[None])] if None in by_section else []
    out += [Section(section.id, section.name, section.position, by_section.get(section.seq, []))
            for section in store.sections_of(conn, page_seq)]
    return out


def covering_windows(conn: sqlite3.Connection, sections: list[Section]) -> list[WindowRow]:
    """The maintenance windows that cover a resource of `sections` (windows are few: all are read)."""
    shown = [(resource.kind, resource.subject_id, resource.group_id)
             for section in sections for resource in section.resources]
    return [row for row in maintenance.all_windows(conn) if any(maintenance.covers(row, *subject) for subject in shown)]


def page_view(conn: sqlite3.Connection, slug_or_host: str, now_ms: int, *, drafts: bool = False) -> PageView | None:
    """The page at /status/<slug_or_host> or served at the host `slug_or_host`; None when no
    page is there, or when it is not published (unless `drafts`: a preview). Reads in one
    transaction, so the parts agree."""
    in_transaction = conn.in_transaction
    if not in_transaction:
        conn.execute("BEGIN")
    try:
        page = store.by_address(conn, slug_or_host)
        if page is None or not (page.published or drafts):
            return None
        active = store.reports_where(conn, "page_seq = ? AND resolved_at IS NULL", (page.seq,))
        recent = store.reports_where(conn, "page_seq = ? AND resolved_at >= ?",
                                     (page.seq, now_ms - RECENT_DAYS * 86_400_000), order="resolved_at DESC, seq DESC")
        sections = _sections(conn, page.seq)
        return PageView(page, sections, [_report(row) for row in active], [_report(row) for row in recent],
                        covering_windows(conn, sections))
    finally:
        if not in_transaction:
            conn.execute("COMMIT")


def report_archive(conn: sqlite3.Connection, page_seq: int, *, limit: int = 20, before: str | None = None,
                   after: str | None = None) -> Archive:
    """One page of the page's resolved reports, newest created first: the first page, the ones
    created before the report `before`, or the ones just after the report `after` (each any
    report of the page, resolved or not since). Raises BadCursor for one it does not have."""
    cursor = before or after
    where, args, order = "page_seq = ? AND resolved_at IS NOT NULL", [page_seq], "seq DESC"
    if cursor is not None:
        found = conn.execute(f"SELECT seq FROM {store.REPORTS} WHERE id = ? AND page_seq = ?",
                             (cursor, page_seq)).fetchone()
        if found is None:
            raise BadCursor("before" if before else "after", cursor)
        where += " AND seq < ?" if before else " AND seq > ?"
        args.append(found[0])
        order = "seq DESC" if before else "seq ASC"
    rows = store.reports_where(conn, where, tuple(args), order=order, limit=limit)
    if order == "seq ASC":
        rows.reverse()
    if not rows:
        return Archive([], None, None)

    def beyond(seq: int, side: str) -> bool:
        return conn.execute(f"SELECT 1 FROM {store.REPORTS} WHERE page_seq = ? AND resolved_at IS NOT NULL "
                            f"AND seq {side} ? LIMIT 1", (page_seq, seq)).fetchone() is not None

    return Archive([_report(row) for row in rows], rows[-1].id if beyond(rows[-1].seq, "<") else None,
                   rows[0].id if beyond(rows[0].seq, ">") else None)


def catalog_version(conn: sqlite3.Connection, watched: list[str]) -> tuple:
    """What of the catalog can change a page without any resource on it changing: the services
    (count, last edit: a name), the dependencies (count, newest), and the status and state of
    `watched` (the members of the services the page's resources need: pages/affected.watched),
    by id. A subject joining or leaving a service shows with the page's next render (30 s)."""
    services = conn.execute("SELECT count(*), max(updated_at) FROM services").fetchone()
    edges = conn.execute("SELECT count(*), max(created_at) FROM service_dependencies").fetchone()
    states: list[tuple] = []
    for prefix, table in (("mon_", "monitors"), ("hbt_", "heartbeats")):
        ids = [subject for subject in watched if subject.startswith(prefix)]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            states += conn.execute(f"SELECT id, status, current_state FROM {table} "
                                   f"WHERE id IN ({', '.join('?' for _ in chunk)}) ORDER BY id", chunk).fetchall()
    return (*services, *edges, tuple(states))
