"""A status page's view with everything on it, for the rendering tests."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from upstatd.monitors.uptime import timeline
from upstatd.pages.bars import daily
from upstatd.pages.render import (MaintenanceView, PageView, ReportView, ResourceView, SectionView,
                                  UpdateView)

NOW = 1_800_000_000
HOSTILE = '<script>alert("x")</script>'


def view(**changes) -> PageView:
    line = timeline([((NOW - 200 * 86400) * 1000, "up"), ((NOW - 3 * 86400) * 1000, "down"),
                     ((NOW - 3 * 86400 + 600) * 1000, "up")], [])
    bars = daily(line, NOW * 1000, ZoneInfo("UTC"), incidents=[(NOW - 3 * 86400) * 1000])
    active = ReportView("rpt_1", "Checkout errors", "identified", [
        UpdateView("identified", "A bad deploy; rolling back.", NOW - 600),
        UpdateView("investigating", "We see errors at checkout.", NOW - 1200)], NOW - 1200, None)
    past = ReportView("rpt_0", "Slow search", "resolved", [
        UpdateView("resolved", "Fixed.", NOW - 3 * 86400 + 600),
        UpdateView("investigating", "Search is slow.", NOW - 3 * 86400)], NOW - 3 * 86400, NOW - 3 * 86400 + 600)
    fields = dict(
        name="Example Shop", url="http://127.0.0.1:8080/status/shop", logo_url=None, accent_color="#3366ff",
        footer_text=f"Operated by {HOSTILE}", timezone="UTC", banner="partial_outage",
        sections=[SectionView("Storefront", [ResourceView("Website", "operational", bars, 99.99),
                                             ResourceView(HOSTILE, "down", bars, 99.5)]),
                  SectionView("Back office", [ResourceView("Nightly backup", "degraded", None, None)])],
        active=[active], maintenance=[MaintenanceView("mnt_1", "Database upgrade", "Read-only for a few minutes.", NOW + 3600,
                                     NOW + 7200, False, ["Website"], NOW - 60)],
        history=[past], generated_at=NOW)
    fields.update(changes)
    return PageView(**fields)
