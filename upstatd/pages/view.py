"""A status page's view for the renderer: the page's rows (store/status_page_view.py)
with each resource's public state, 90 daily bars and uptime (from its timeline:
store/uptime.py), the banner, the reports and the maintenance windows in the
renderer's shapes. A resource a window in progress covers shows `maintenance`
(a heartbeat's own state does not say so: its deadlines are only held).
A resource whose subjects' services need a service that is down shows it as
its cause (pages/affected.py), and the banner names each cause once; an
affected resource that is operational counts as degraded for the banner."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from upstatd.catalog import graph as catalog_graph
from upstatd.catalog.graph import Graph
from upstatd.pages import affected, maintenance, render
from upstatd.pages.banner import banner, public_state, worst
from upstatd.pages.bars import DAYS, Bar, daily, day_bounds, overall
from upstatd.pages.group_bars import group_bars, mean
from upstatd.store import catalog as catalog_store
from upstatd.store.maintenance import covers
from upstatd.store.rollups import DAY_MS
from upstatd.store.status_page_view import Archive, PageView, Report, Resource
from upstatd.store.status_pages import PageRow
from upstatd.store.uptime import subject_timeline

ACCENT = "#1f6feb"


class Catalog(NamedTuple):
    """The catalog as a page render sees it: the graph and each service's state."""
    graph: Graph
    states: dict[str, str]       # svc -> catalog/graph.state of its members


def read_catalog(conn: sqlite3.Connection, graph: Graph | None = None) -> Catalog:
    """The whole catalog (two reads of small tables and the members' states); `graph`: the
    graph already read (store/catalog.graph), only the states are read then."""
    graph = catalog_store.graph(conn) if graph is None else graph
    members = catalog_store.member_states(conn)
    return Catalog(graph, {service: catalog_graph.state(found) for service, found in members.items()})


def subjects(resource: Resource) -> list[str]:
    """The monitors and heartbeats (mon_/hbt_ ids) a page resource shows: a group's members."""
    return [member.subject_id for member in resource.members] if resource.kind == "group" else [resource.subject_id]


def watched(found: PageView, graph: Graph) -> list[str]:
    """The members of the services the page's resources need (affected.watched)."""
    return affected.watched(graph, [subject for section in found.sections
                                    for resource in section.resources for subject in subjects(resource)])


def incident_starts(conn: sqlite3.Connection, subject_id: str, since_ms: int) -> list[int]:
    """When the incidents affecting a monitor or heartbeat started, from `since_ms` on (ms)."""
    return [row[0] for row in conn.execute(
        "SELECT i.started_at FROM incident_monitors AS m JOIN incidents AS i ON i.seq = m.incident_seq "
        "WHERE m.monitor_id = ? AND i.started_at >= ?", (subject_id, since_ms))]


def group_incident_starts(conn: sqlite3.Connection, member_ids: list[str], since_ms: int) -> list[int]:
    """When the incidents affecting any of these monitors or heartbeats started, each incident once."""
    if not member_ids:
        return []
    return [row[0] for row in conn.execute(
        "SELECT DISTINCT i.seq, i.started_at FROM incident_monitors AS m JOIN incidents AS i ON i.seq = m.incident_seq "
        f"WHERE m.monitor_id IN ({', '.join('?' for _ in member_ids)}) AND i.started_at >= ?",
        (*member_ids, since_ms))]


def group_figures(conn: sqlite3.Connection, group: Resource, now_ms: int, zone: ZoneInfo, since: int,
                  spans: Sequence[tuple[int, int]] = (), on: bool = False) -> tuple[str, list[Bar] | None, float | None]:
    """A group resource's public state (its members' worst), bars and uptime (pages/group_bars.py),
    from its members' timelines as a monitor resource's are; `spans`: the maintenance occurrences
    of the windows that name the group, `on`: one of them is in progress."""
    state = worst(_state(member, {group.id} if on else set()) for member in group.members)
    if not group.show_uptime:
        return state, None, None
    lines = [subject_timeline(conn, member.seq, member.created_at, since, member.kind) for member in group.members]
    starts = [row[1] for row in group_incident_starts(conn, [member.subject_id for member in group.members], since)]
    counts = [sum(start <= at < end for at in starts) for _, start, end in day_bounds(now_ms, zone)]
    bars = group_bars([daily(line, now_ms, zone, (), spans) for line in lines], counts) if lines else \
        [Bar(date, None, "none", 0, False) for date, _, _ in day_bounds(now_ms, zone)]
    return state, bars, mean([overall(line, now_ms, zone) for line in lines])


def _report(report: Report) -> render.ReportView:
    return render.ReportView(report.id, report.title, report.status,
                             [render.UpdateView(u.status, u.message, u.created_at // 1000)
                              for u in reversed(report.updates)],
                             report.created_at // 1000, None if report.resolved_at is None else report.resolved_at // 1000)


class Maintenance(NamedTuple):
    shown: list[render.MaintenanceView]           # in progress first, then upcoming
    spans: dict[str, list[tuple[int, int]]]       # resource id (spr_…) -> occurrences (ms) for its bars
    on: set[str]                                  # resource ids a window in progress covers


def _maintenance(found: PageView, now_ms: int, zone: ZoneInfo) -> Maintenance:
    now = now_ms / 1000
    resources = [resource for section in found.sections for resource in section.resources]
    days = [(start / 1000, end / 1000) for _, start, end in day_bounds(now_ms, zone)]
    shown, spans, on = [], {}, set()
    for row in found.windows:
        covered = [r for r in resources if covers(row, r.kind, r.subject_id, r.group_id)]
        drawn = [resource for resource in covered if resource.show_uptime]
        past = [] if not drawn else [(round(item.start * 1000), round(item.end * 1000))
                                     for item in maintenance.past(row.window, days, now)]
        for resource in drawn:
            spans.setdefault(resource.id, []).extend(past)
        entry = maintenance.planned(row.window, now)
        if entry is None or not covered:
            continue
        if entry.ongoing:
            on.update(resource.id for resource in covered)
        updated = row.updated_at // 1000
        announced = max(int(entry.start), updated) if entry.ongoing else max(
            int(entry.start) - maintenance.UPCOMING_DAYS * 86400, updated)
        shown.append(render.MaintenanceView(
            row.id, row.title, row.description, int(entry.start), int(entry.end), entry.ongoing,
            list(dict.fromkeys(resource.public_name for resource in covered)), min(announced, int(now))))
    shown.sort(key=lambda item: (not item.ongoing, item.starts_at, item.id))
    return Maintenance(shown, spans, on)


def region_states(resource: Resource) -> tuple[tuple[str, str], ...]:
    """Each region's public state, as the resource's own (a paused monitor tells nothing)."""
    return tuple((name, public_state("monitor", state, resource.status)) for name, state in resource.regions)


def _state(resource: Resource, on: set[str]) -> str:
    """A paused resource tells nothing (unknown), in a window or not."""
    if resource.id in on and resource.status != "paused":
        return "maintenance"
    return public_state(resource.kind, resource.state, resource.status)


def logo_url(page: PageRow, url: str) -> str | None:
    """The logo beside the page, its version in the query (so it may be cached for long)."""
    return None if page.logo_etag is None else f"{url}/logo?v={page.logo_etag[:16]}"


def history(page: PageRow, archive: Archive, url: str, now_ms: int) -> render.HistoryView:
    """One page of the archive of resolved reports, with its links to the pages beside it."""
    return render.HistoryView(
        name=page.name, url=url, logo_url=logo_url(page, url), accent_color=page.accent_color or ACCENT,
        footer_text=page.footer_text, timezone=page.timezone, reports=[_report(r) for r in archive.reports],
        older_url=None if archive.older is None else f"{url}/history?before={archive.older}",
        newer_url=None if archive.newer is None else f"{url}/history?after={archive.newer}",
        generated_at=now_ms // 1000)


def build(conn: sqlite3.Connection, found: PageView, now_ms: int, url: str,
          catalog: Catalog | None = None) -> render.PageView:
    """`catalog`: as read_catalog gives it (read here when not given)."""
    page = found.page
    zone = ZoneInfo(page.timezone)
    since = now_ms - (DAYS + 1) * DAY_MS
    windows = _maintenance(found, now_ms, zone)
    catalog = read_catalog(conn) if catalog is None else catalog
    sections, states, causes = [], [], []
    for section in found.sections:
        shown = []
        for resource in section.resources:
            if resource.kind == "group":
                state, bars, uptime = group_figures(conn, resource, now_ms, zone, since,
                                                    windows.spans.get(resource.id, ()), resource.id in windows.on)
            else:
                state = _state(resource, windows.on)
                bars = uptime = None
                if resource.show_uptime:
                    line = subject_timeline(conn, resource.seq, resource.created_at, since, resource.kind)
                    bars = daily(line, now_ms, zone, incident_starts(conn, resource.subject_id, since),
                                 windows.spans.get(resource.id, ()))
                    uptime = overall(line, now_ms, zone)
            own = subjects(resource)
            cause = affected.shown(state, affected.causes(catalog.graph, catalog.states, own))
            states.append("degraded" if cause and state == "operational" else state)
            causes.append((resource.public_name, [catalog.graph.members[s] for s in own if s in catalog.graph.members],
                           cause))
            shown.append(render.ResourceView(resource.public_name, state, bars, uptime, tuple(cause),
                                             region_states(resource)))
        sections.append(render.SectionView(section.name, shown))
    return render.PageView(
        name=page.name, url=url, logo_url=logo_url(page, url), accent_color=page.accent_color or ACCENT,
        footer_text=page.footer_text, timezone=page.timezone, banner=banner(states), sections=sections,
        active=[_report(r) for r in found.active_reports], maintenance=windows.shown,
        history=[_report(r) for r in found.recent_reports], generated_at=now_ms // 1000,
        causes=tuple(affected.lines(causes)))
