"""A status page's view for the renderer: the page's rows (store/status_page_view.py)
with each resource's public state, 90 daily bars and uptime (from its timeline:
store/uptime.py), the banner, and the reports in the renderer's shapes."""

from __future__ import annotations

import sqlite3
from zoneinfo import ZoneInfo

from upstatd.pages import render
from upstatd.pages.banner import banner, public_state
from upstatd.pages.bars import DAYS, daily, overall
from upstatd.store.rollups import DAY_MS
from upstatd.store.status_page_view import Archive, PageView, Report
from upstatd.store.status_pages import PageRow
from upstatd.store.uptime import subject_timeline

ACCENT = "#1f6feb"


def incident_starts(conn: sqlite3.Connection, subject_id: str, since_ms: int) -> list[int]:
    """When the incidents affecting a monitor or heartbeat started, from `since_ms` on (ms)."""
    return [row[0] for row in conn.execute(
        "SELECT i.started_at FROM incident_monitors AS m JOIN incidents AS i ON i.seq = m.incident_seq "
        "WHERE m.monitor_id = ? AND i.started_at >= ?", (subject_id, since_ms))]


def _report(report: Report) -> render.ReportView:
    return render.ReportView(report.id, report.title, report.status,
                             [render.UpdateView(u.status, u.message, u.created_at // 1000)
                              for u in reversed(report.updates)],
                             report.created_at // 1000, None if report.resolved_at is None else report.resolved_at // 1000)


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


def build(conn: sqlite3.Connection, found: PageView, now_ms: int, url: str) -> render.PageView:
    page = found.page
    zone = ZoneInfo(page.timezone)
    since = now_ms - (DAYS + 1) * DAY_MS
    sections, states = [], []
    for section in found.sections:
        shown = []
        for resource in section.resources:
            state = public_state(resource.kind, resource.state, resource.status)
            states.append(state)
            bars = uptime = None
            if resource.show_uptime:
                line = subject_timeline(conn, resource.seq, resource.created_at, since, resource.kind)
                bars = daily(line, now_ms, zone, incident_starts(conn, resource.subject_id, since))
                uptime = overall(line, now_ms, zone)
            shown.append(render.ResourceView(resource.public_name, state, bars, uptime))
        sections.append(render.SectionView(section.name, shown))
    return render.PageView(
        name=page.name, url=url, logo_url=logo_url(page, url), accent_color=page.accent_color or ACCENT,
        footer_text=page.footer_text, timezone=page.timezone, banner=banner(states), sections=sections,
        active=[_report(r) for r in found.active_reports], maintenance=[],
        history=[_report(r) for r in found.recent_reports], generated_at=now_ms // 1000)
