"""The status pages' tables: pages, their sections and resources (the monitors
and heartbeats a page shows), and status reports with their updates. Plain
sqlite3 functions inside the caller's transaction; the lists the API pages
through. What the public renderer reads is store/status_page_view.py.
Sections, resources and reports carry metadata (0017) as pages do; a page's
logo is a row of status_page_logos, its ETag read with the page (`logo_etag`)."""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.store import pages

PAGES, SECTIONS, RESOURCES, REPORTS, UPDATES, LOGOS = (
    "status_pages", "status_page_sections", "status_page_resources", "status_reports", "status_report_updates",
    "status_page_logos")
PAGE_COLUMNS = (f"seq, id, name, slug, custom_domain, (SELECT etag FROM {LOGOS} WHERE page_seq = {PAGES}.seq), "
                "accent_color, footer_text, password_hash, timezone, published, metadata, created_at, updated_at")
SECTION_COLUMNS = "seq, id, page_seq, name, position, created_at, updated_at, metadata"
RESOURCE_COLUMNS = ("seq, id, page_seq, section_seq, (SELECT s.id FROM status_page_sections s WHERE s.seq = "
                    "status_page_resources.section_seq), position, kind, subject_seq, subject_id, public_name, "
                    "show_uptime, created_at, updated_at, metadata")
REPORT_COLUMNS = ("seq, id, page_seq, title, status, incident_id, affected, created_at, updated_at, resolved_at, "
                  "metadata")
UPDATE_COLUMNS = "seq, report_seq, status, message, created_at"
REPORT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
KINDS = ("monitor", "heartbeat")


class PageRow(NamedTuple):
    seq: int
    id: str
    name: str
    slug: str
    custom_domain: str | None
    logo_etag: str | None  # None: no logo; else its ETag (the logo is served at <page>/logo)
    accent_color: str | None
    footer_text: str | None
    password_hash: str | None
    timezone: str
    published: bool
    metadata: dict[str, str]
    created_at: int
    updated_at: int


class SectionRow(NamedTuple):
    seq: int
    id: str
    page_seq: int
    name: str
    position: int
    created_at: int
    updated_at: int
    metadata: dict[str, str]


class ResourceRow(NamedTuple):
    seq: int
    id: str
    page_seq: int
    section_seq: int | None
    section_id: str | None
    position: int
    kind: str              # monitor | heartbeat | group
    subject_seq: int       # monitors.seq, heartbeats.seq or subject_groups.seq
    subject_id: str        # mon_… / hbt_… / grp_…
    public_name: str
    show_uptime: bool
    created_at: int
    updated_at: int
    metadata: dict[str, str]


class UpdateRow(NamedTuple):
    seq: int
    report_seq: int
    status: str
    message: str
    created_at: int


class ReportRow(NamedTuple):
    seq: int
    id: str
    page_seq: int
    title: str
    status: str
    incident_id: str | None
    affected: list[str]    # spr_ ids as stored: read them through `affected_of`
    created_at: int
    updated_at: int
    resolved_at: int | None
    metadata: dict[str, str]
    updates: list[UpdateRow] = []  # oldest first


class LogoRow(NamedTuple):
    content_type: str
    body: bytes
    etag: str
    updated_at: int


def _page(row: Any) -> PageRow:
    values = list(row)
    values[10] = bool(values[10])
    values[11] = msgspec.json.decode(values[11])
    return PageRow(*values)


def _resource(row: Any) -> ResourceRow:
    values = list(row)
    values[10] = bool(values[10])
    values[13] = msgspec.json.decode(values[13])
    return ResourceRow(*values)


def _section(row: Any) -> SectionRow:
    values = list(row)
    values[7] = msgspec.json.decode(values[7])
    return SectionRow(*values)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _one(conn: sqlite3.Connection, sql: str, args: tuple) -> Any:
    rows = conn.execute(sql, args).fetchall()
    return rows[0] if rows else None


# -- pages ----------------------------------------------------------------------------------

def get(conn: sqlite3.Connection, page_id: str) -> PageRow | None:
    row = _one(conn, f"SELECT {PAGE_COLUMNS} FROM {PAGES} WHERE id = ?", (page_id,))
    return _page(row) if row else None


def by_seq(conn: sqlite3.Connection, seq: int) -> PageRow:
    return _page(_one(conn, f"SELECT {PAGE_COLUMNS} FROM {PAGES} WHERE seq = ?", (seq,)))


def by_address(conn: sqlite3.Connection, slug_or_host: str) -> PageRow | None:
    """The page at /status/<slug>, or the one whose custom domain is this host (any case)."""
    row = _one(conn, f"SELECT {PAGE_COLUMNS} FROM {PAGES} WHERE slug = ? OR custom_domain = ? LIMIT 1",
               (slug_or_host, slug_or_host.lower().rstrip(".")))
    return _page(row) if row else None


def owner_of(conn: sqlite3.Connection, column: str, value: str | None, other_than: int = 0) -> str | None:
    """The id of the page (but `other_than`) whose `column` (slug, custom_domain) is `value`."""
    if value is None:
        return None
    row = _one(conn, f"SELECT id FROM {PAGES} WHERE {column} = ? AND seq != ?", (value, other_than))
    return row[0] if row else None


# the columns a create or update writes, in this order
PAGE_FIELDS = ("name", "slug", "custom_domain", "accent_color", "footer_text", "password_hash",
               "timezone", "published", "metadata")


def _field_values(fields: dict[str, Any]) -> list[Any]:
    return [_json(fields[name]) if name == "metadata" else int(fields[name]) if name == "published"
            else fields[name] for name in PAGE_FIELDS]


def insert_page(conn: sqlite3.Connection, page_id: str, fields: dict[str, Any], now_ms: int) -> PageRow:
    cursor = conn.execute(
        f"INSERT INTO {PAGES} (id, {', '.join(PAGE_FIELDS)}, created_at, updated_at) "
        f"VALUES (?, {', '.join('?' for _ in PAGE_FIELDS)}, ?, ?)", (page_id, *_field_values(fields), now_ms, now_ms))
    return by_seq(conn, cursor.lastrowid)


def update_page(conn: sqlite3.Connection, seq: int, fields: dict[str, Any], now_ms: int) -> PageRow:
    conn.execute(f"UPDATE {PAGES} SET {', '.join(f'{name} = ?' for name in PAGE_FIELDS)}, updated_at = ? "
                 "WHERE seq = ?", (*_field_values(fields), now_ms, seq))
    return by_seq(conn, seq)


def touch_page(conn: sqlite3.Connection, seq: int, now_ms: int) -> PageRow:
    """A section, resource or report of the page changed: so did the page."""
    conn.execute(f"UPDATE {PAGES} SET updated_at = ? WHERE seq = ?", (now_ms, seq))
    return by_seq(conn, seq)


def delete_page(conn: sqlite3.Connection, seq: int) -> None:
    """The page with its sections, resources, reports and their updates, and its logo."""
    conn.execute(f"DELETE FROM {UPDATES} WHERE report_seq IN (SELECT seq FROM {REPORTS} WHERE page_seq = ?)", (seq,))
    for table in (REPORTS, RESOURCES, SECTIONS, LOGOS):
        conn.execute(f"DELETE FROM {table} WHERE page_seq = ?", (seq,))
    conn.execute(f"DELETE FROM {PAGES} WHERE seq = ?", (seq,))


def list_page(conn: sqlite3.Connection, *, published: bool | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None) -> tuple[list[PageRow], bool]:
    where = pages.Where().equal("published", None if published is None else int(published))
    rows, has_more = pages.page(conn, PAGES, PAGE_COLUMNS, limit, starting_after, ending_before, where)
    return [_page(row) for row in rows], has_more


def _child_cursor(table: str, page_seq: int) -> pages.CursorSeq:
    """A child list's cursor names a child of this page (another page's is no cursor here)."""
    def cursor_seq(conn: sqlite3.Connection, cursor: str) -> int | None:
        row = _one(conn, f"SELECT seq FROM {table} WHERE id = ? AND page_seq = ?", (cursor, page_seq))
        return row[0] if row else None
    return cursor_seq


def _next_position(conn: sqlite3.Connection, table: str, where: str, args: tuple) -> int:
    (top,) = conn.execute(f"SELECT coalesce(max(position) + 1, 0) FROM {table} WHERE {where}", args).fetchone()
    return top


# -- sections ----------------------------------------------------------------------------------

def section(conn: sqlite3.Connection, page_seq: int, section_id: str) -> SectionRow | None:
    row = _one(conn, f"SELECT {SECTION_COLUMNS} FROM {SECTIONS} WHERE id = ? AND page_seq = ?", (section_id, page_seq))
    return _section(row) if row else None


def sections_of(conn: sqlite3.Connection, page_seq: int) -> list[SectionRow]:
    return [_section(row) for row in conn.execute(
        f"SELECT {SECTION_COLUMNS} FROM {SECTIONS} WHERE page_seq = ? ORDER BY position, seq", (page_seq,))]


def insert_section(conn: sqlite3.Connection, page_seq: int, section_id: str, name: str, position: int | None,
                   now_ms: int, metadata: dict[str, str] | None = None) -> SectionRow:
    if position is None:
        position = _next_position(conn, SECTIONS, "page_seq = ?", (page_seq,))
    conn.execute(f"INSERT INTO {SECTIONS} (id, page_seq, name, position, created_at, updated_at, metadata) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)", (section_id, page_seq, name, position, now_ms, now_ms,
                                                  _json(metadata or {})))
    return section(conn, page_seq, section_id)


def update_section(conn: sqlite3.Connection, row: SectionRow, name: str, position: int, now_ms: int,
                   metadata: dict[str, str]) -> SectionRow:
    conn.execute(f"UPDATE {SECTIONS} SET name = ?, position = ?, metadata = ?, updated_at = ? WHERE seq = ?",
                 (name, position, _json(metadata), now_ms, row.seq))
    return section(conn, row.page_seq, row.id)


def delete_section(conn: sqlite3.Connection, row: SectionRow, now_ms: int) -> None:
    """Its resources stay on the page, outside any section."""
    conn.execute(f"UPDATE {RESOURCES} SET section_seq = NULL, updated_at = ? WHERE section_seq = ?",
                 (now_ms, row.seq))
    conn.execute(f"DELETE FROM {SECTIONS} WHERE seq = ?", (row.seq,))


def sections_page(conn: sqlite3.Connection, page_seq: int, *, limit: int, starting_after: str | None = None,
                  ending_before: str | None = None) -> tuple[list[SectionRow], bool]:
    rows, has_more = pages.page(conn, SECTIONS, SECTION_COLUMNS, limit, starting_after, ending_before,
                                pages.Where("page_seq = ?", page_seq), cursor_seq=_child_cursor(SECTIONS, page_seq))
    return [_section(row) for row in rows], has_more


# -- resources ---------------------------------------------------------------------------------

def resource(conn: sqlite3.Connection, page_seq: int, resource_id: str) -> ResourceRow | None:
    row = _one(conn, f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCES} WHERE id = ? AND page_seq = ?",
               (resource_id, page_seq))
    return _resource(row) if row else None


def resources_of(conn: sqlite3.Connection, page_seq: int) -> list[ResourceRow]:
    return [_resource(row) for row in conn.execute(
        f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCES} WHERE page_seq = ? ORDER BY position, seq", (page_seq,))]


def showing(conn: sqlite3.Connection, page_seq: int, kind: str, subject_seq: int) -> str | None:
    """The id of the page's resource that already shows this subject."""
    row = _one(conn, f"SELECT id FROM {RESOURCES} WHERE page_seq = ? AND kind = ? AND subject_seq = ?",
               (page_seq, kind, subject_seq))
    return row[0] if row else None


def insert_resource(conn: sqlite3.Connection, page_seq: int, resource_id: str, section_seq: int | None,
                    position: int | None, kind: str, subject_seq: int, subject_id: str, public_name: str,
                    show_uptime: bool, now_ms: int, metadata: dict[str, str] | None = None) -> ResourceRow:
    if position is None:
        position = _next_position(conn, RESOURCES, "page_seq = ? AND section_seq IS ?", (page_seq, section_seq))
    conn.execute(
        f"INSERT INTO {RESOURCES} (id, page_seq, section_seq, position, kind, subject_seq, subject_id, public_name, "
        "show_uptime, created_at, updated_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (resource_id, page_seq, section_seq, position, kind, subject_seq, subject_id, public_name, int(show_uptime),
         now_ms, now_ms, _json(metadata or {})))
    return resource(conn, page_seq, resource_id)


def update_resource(conn: sqlite3.Connection, row: ResourceRow, section_seq: int | None, position: int,
                    public_name: str, show_uptime: bool, metadata: dict[str, str], now_ms: int) -> ResourceRow:
    conn.execute(f"UPDATE {RESOURCES} SET section_seq = ?, position = ?, public_name = ?, show_uptime = ?, "
                 "metadata = ?, updated_at = ? WHERE seq = ?", (section_seq, position, public_name, int(show_uptime),
                                                                _json(metadata), now_ms, row.seq))
    return resource(conn, row.page_seq, row.id)


def _forget(conn: sqlite3.Connection, resource_ids: list[tuple[str]]) -> None:
    """Resources gone: out of every report's affected list too (so a report never names one)."""
    conn.executemany(
        f"UPDATE {REPORTS} SET affected = (SELECT json_group_array(value) FROM json_each({REPORTS}.affected) "
        f"WHERE value != ?1) WHERE EXISTS (SELECT 1 FROM json_each({REPORTS}.affected) WHERE value = ?1)",
        resource_ids)


def delete_resource(conn: sqlite3.Connection, row: ResourceRow) -> None:
    conn.execute(f"DELETE FROM {RESOURCES} WHERE seq = ?", (row.seq,))
    _forget(conn, [(row.id,)])


def delete_subjects(conn: sqlite3.Connection, kind: str, seqs: list[int]) -> None:
    """Monitors, heartbeats or groups deleted: the pages stop showing them (their delete_history,
    or the group's delete, calls it in the delete's transaction)."""
    gone: list[tuple[str]] = []
    for seq in seqs:
        gone += conn.execute(f"SELECT id FROM {RESOURCES} WHERE kind = ? AND subject_seq = ?", (kind, seq)).fetchall()
    conn.executemany(f"DELETE FROM {RESOURCES} WHERE kind = ? AND subject_seq = ?", [(kind, seq) for seq in seqs])
    _forget(conn, [tuple(row) for row in gone])


def resources_page(conn: sqlite3.Connection, page_seq: int, *, section_id: str | None = None, limit: int,
                   starting_after: str | None = None, ending_before: str | None = None
                   ) -> tuple[list[ResourceRow], bool]:
    where = pages.Where("page_seq = ?", page_seq)
    if section_id is not None:
        where.add(f"section_seq = (SELECT seq FROM {SECTIONS} WHERE id = ? AND page_seq = ?)", section_id, page_seq)
    rows, has_more = pages.page(conn, RESOURCES, RESOURCE_COLUMNS, limit, starting_after, ending_before, where,
                                cursor_seq=_child_cursor(RESOURCES, page_seq))
    return [_resource(row) for row in rows], has_more


# -- reports -----------------------------------------------------------------------------------

def _reports(conn: sqlite3.Connection, rows: list[Any]) -> list[ReportRow]:
    """Report rows with their updates, oldest first."""
    if not rows:
        return []
    seqs = [row[0] for row in rows]
    updates: dict[int, list[UpdateRow]] = {seq: [] for seq in seqs}
    for row in conn.execute(f"SELECT {UPDATE_COLUMNS} FROM {UPDATES} WHERE report_seq IN "
                            f"({', '.join('?' for _ in seqs)}) ORDER BY seq", seqs):
        updates[row[1]].append(UpdateRow(*row))
    out = []
    for row in rows:
        values = list(row)
        values[6] = msgspec.json.decode(values[6])
        values[10] = msgspec.json.decode(values[10])
        out.append(ReportRow(*values, updates=updates[row[0]]))
    return out


def report(conn: sqlite3.Connection, page_seq: int, report_id: str) -> ReportRow | None:
    row = _one(conn, f"SELECT {REPORT_COLUMNS} FROM {REPORTS} WHERE id = ? AND page_seq = ?", (report_id, page_seq))
    return _reports(conn, [row])[0] if row else None


def reports_where(conn: sqlite3.Connection, where: str, args: tuple, order: str = "seq DESC",
                  limit: int = -1) -> list[ReportRow]:
    return _reports(conn, conn.execute(
        f"SELECT {REPORT_COLUMNS} FROM {REPORTS} WHERE {where} ORDER BY {order} LIMIT ?", (*args, limit)).fetchall())


def insert_report(conn: sqlite3.Connection, page_seq: int, report_id: str, title: str, incident_id: str | None,
                  affected: list[str], now_ms: int, metadata: dict[str, str] | None = None) -> int:
    """-> its seq; its first update is `append_update`'s."""
    cursor = conn.execute(
        f"INSERT INTO {REPORTS} (id, page_seq, title, status, incident_id, affected, created_at, updated_at, "
        "metadata) VALUES (?, ?, ?, 'investigating', ?, ?, ?, ?, ?)",
        (report_id, page_seq, title, incident_id, _json(affected), now_ms, now_ms, _json(metadata or {})))
    return cursor.lastrowid


def update_report(conn: sqlite3.Connection, seq: int, title: str, incident_id: str | None, affected: list[str],
                  metadata: dict[str, str], now_ms: int) -> None:
    conn.execute(f"UPDATE {REPORTS} SET title = ?, incident_id = ?, affected = ?, metadata = ?, updated_at = ? "
                 "WHERE seq = ?", (title, incident_id, _json(affected), _json(metadata), now_ms, seq))


def delete_report(conn: sqlite3.Connection, seq: int) -> None:
    """The report with its updates."""
    conn.execute(f"DELETE FROM {UPDATES} WHERE report_seq = ?", (seq,))
    conn.execute(f"DELETE FROM {REPORTS} WHERE seq = ?", (seq,))


def append_update(conn: sqlite3.Connection, report_seq: int, status: str, message: str, now_ms: int) -> None:
    """The report's status is its last update's; resolved_at is set while that is resolved."""
    conn.execute(f"INSERT INTO {UPDATES} (report_seq, status, message, created_at) VALUES (?, ?, ?, ?)",
                 (report_seq, status, message, now_ms))
    conn.execute(f"UPDATE {REPORTS} SET status = ?, updated_at = ?, resolved_at = ? WHERE seq = ?",
                 (status, now_ms, now_ms if status == "resolved" else None, report_seq))


def reports_page(conn: sqlite3.Connection, page_seq: int, *, status: str | None = None, active: bool | None = None,
                 limit: int, starting_after: str | None = None, ending_before: str | None = None
                 ) -> tuple[list[ReportRow], bool]:
    where = pages.Where("page_seq = ?", page_seq).equal("status", status, options=REPORT_STATUSES)
    if active is not None:
        where.add("resolved_at IS NULL" if active else "resolved_at IS NOT NULL")
    rows, has_more = pages.page(conn, REPORTS, REPORT_COLUMNS, limit, starting_after, ending_before, where,
                                cursor_seq=_child_cursor(REPORTS, page_seq))
    return _reports(conn, rows), has_more


# -- logos -------------------------------------------------------------------------------------

def logo(conn: sqlite3.Connection, page_seq: int) -> LogoRow | None:
    row = _one(conn, f"SELECT content_type, body, etag, updated_at FROM {LOGOS} WHERE page_seq = ?", (page_seq,))
    return LogoRow(row[0], bytes(row[1]), row[2], row[3]) if row else None


def put_logo(conn: sqlite3.Connection, page_seq: int, content_type: str, body: bytes, etag: str,
             now_ms: int) -> None:
    conn.execute(f"INSERT INTO {LOGOS} (page_seq, content_type, body, etag, updated_at) VALUES (?, ?, ?, ?, ?) "
                 "ON CONFLICT (page_seq) DO UPDATE SET content_type = excluded.content_type, body = excluded.body, "
                 "etag = excluded.etag, updated_at = excluded.updated_at", (page_seq, content_type, body, etag, now_ms))


def delete_logo(conn: sqlite3.Connection, page_seq: int) -> bool:
    """-> whether there was one."""
    return conn.execute(f"DELETE FROM {LOGOS} WHERE page_seq = ?", (page_seq,)).rowcount > 0


# -- what resources and reports point at -------------------------------------------------------

def group_members_version(conn: sqlite3.Connection, page_seq: int) -> tuple:
    """(count, latest updated_at) of the members of the page's groups: a member that joins or
    leaves changes it (its count, or the joiner's updated_at), so the page is made again."""
    return tuple(conn.execute(
        f"SELECT count(m.seq), max(m.updated_at) FROM {RESOURCES} AS r JOIN subject_groups AS g ON g.seq = r.subject_seq "
        f"JOIN (SELECT seq, group_id, updated_at FROM monitors UNION ALL SELECT seq, group_id, updated_at FROM heartbeats)"
        f" AS m ON m.group_id = g.id WHERE r.page_seq = ? AND r.kind = 'group'", (page_seq,)).fetchone())


def subject(conn: sqlite3.Connection, kind: str, ref: str) -> tuple[int, str, str] | None:
    """The monitor or heartbeat `ref` names, by id or config key, or the group by its id
    -> (seq, id, name)."""
    if kind == "group":
        row = _one(conn, "SELECT seq, id, name FROM subject_groups WHERE id = ?", (ref,))
        return tuple(row) if row else None
    table = {"monitor": "monitors", "heartbeat": "heartbeats"}[kind]
    row = _one(conn, f"SELECT seq, id, name FROM {table} WHERE id = ?1 OR key = ?1 ORDER BY id = ?1 DESC LIMIT 1",
               (ref,))
    return tuple(row) if row else None
