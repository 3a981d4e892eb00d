"""`/status/<slug>/summary.json`: the page as data, for scripts and other
dashboards (the shape of the page, not of the API: public names only, no
ids of monitors, nor of catalog services: a failing dependency is named by
its service's name). Pure."""

from __future__ import annotations

from upstatd.pages import affected
from upstatd.pages.banner import BANNERS
from upstatd.pages.render import MaintenanceView, PageView, ReportView


def _report(report: ReportView) -> dict:
    return {"id": report.id, "title": report.title, "status": report.status, "started_at": report.started_at,
            "resolved_at": report.resolved_at,
            "updates": [{"status": u.status, "message": u.message, "at": u.at} for u in report.updates]}


def _maintenance(window: MaintenanceView) -> dict:
    """Times in Unix seconds, as the reports' and the API's."""
    return {"id": window.id, "title": window.title, "description": window.description,
            "starts_at": window.starts_at, "ends_at": window.ends_at,
            "status": "in_progress" if window.ongoing else "scheduled", "affected": window.affected}


def summary(view: PageView) -> dict:
    return {
        "page": {"name": view.name, "url": view.url, "generated_at": view.generated_at},
        "status": {"indicator": view.banner, "description": BANNERS[view.banner]},
        "causes": [{"name": cause.name, "state": cause.state, "shown_as": cause.shown_as,
                    "affected": cause.affected, "description": affected.line(cause)} for cause in view.causes],
        "sections": [{"name": section.name, "resources": [
            {"name": resource.name, "state": resource.state, "uptime_90d": resource.uptime,
             "affected_by": [{"name": cause.name, "state": cause.state} for cause in resource.affected_by],
             "regions": [{"name": name, "state": state} for name, state in resource.regions]}
            for resource in section.resources]} for section in view.sections],
        "incidents": [_report(report) for report in view.active],
        "maintenance": [_maintenance(window) for window in view.maintenance],
        "history": [_report(report) for report in view.history],
    }
