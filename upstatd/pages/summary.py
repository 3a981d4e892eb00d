"""`/status/<slug>/summary.json`: the page as data, for scripts and other
dashboards (the shape of the page, not of the API: public names only, no
ids of monitors). Pure."""

from __future__ import annotations

from upstatd.pages.banner import BANNERS
from upstatd.pages.render import PageView, ReportView


def _report(report: ReportView) -> dict:
    return {"id": report.id, "title": report.title, "status": report.status, "started_at": report.started_at,
            "resolved_at": report.resolved_at,
            "updates": [{"status": u.status, "message": u.message, "at": u.at} for u in report.updates]}


def summary(view: PageView) -> dict:
    return {
        "page": {"name": view.name, "url": view.url, "generated_at": view.generated_at},
        "status": {"indicator": view.banner, "description": BANNERS[view.banner]},
        "sections": [{"name": section.name, "resources": [
            {"name": resource.name, "state": resource.state, "uptime_90d": resource.uptime}
            for resource in section.resources]} for section in view.sections],
        "incidents": [_report(report) for report in view.active],
        "maintenance": [{"title": w.title, "starts_at": w.starts_at, "ends_at": w.ends_at, "ongoing": w.ongoing}
                        for w in view.maintenance],
        "history": [_report(report) for report in view.history],
    }
