"""Better Stack's status reports under `/api/v2/status-pages/{id}/status-reports`
(list, get, create, update, delete) and their status updates (`…/status-updates`),
over upstatd's status reports (`rpt_…`, /api/status-pages/{id}/reports) and their
updates: the status page commands and report_object.

upstatd keeps which of a page's resources a report is about, not a status for each:
- an update whose affected resources are all `resolved` resolves the report (upstatd's
  status `resolved`); any other update keeps it open (`investigating` when it opens or
  reopens, else its status as it was), so `degraded` and `downtime` are one thing here;
- shown back, every affected resource is `resolved` once the report is, else `downtime`,
  and aggregate_state is Operational or Downtime the same way.
Report type `maintenance` is refused (upstatd's maintenance windows are /api/maintenance).
Permission resource: `status_pages`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web
from msgspec import UNSET, UnsetType

from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack import into, speaks
from upstatd.api.errors import unprocessable
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.status_pages.public import ReportCreate, ReportUpdate, ReportUpdateCreate, report_object
from upstatd.store import numbered
from upstatd.store import status_pages as store
from upstatd.status_pages.commands import find

PATH = "/api/v2/status-pages/{id}/status-reports"
ONE = f"{PATH}/{{status_report_id}}"
PERMISSION = "status_pages"
AFFECTED_STATUSES = ("resolved", "degraded", "downtime")
FIELDS = {"title": "title", "message": "message", "affected_resource_ids": "affected_resources"}


class AffectedIn(msgspec.Struct, forbid_unknown_fields=True):
    status_page_resource_id: str | int
    status: str


class ReportIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: str | UnsetType = UNSET
    message: str | UnsetType = UNSET
    report_type: str = "manual"
    affected_resources: list[AffectedIn] | UnsetType = UNSET
    # when it shows as published or starting, whom it notifies: upstatd's reports start when made
    # and have no subscribers, so these are taken and ignored
    notify_subscribers: bool | UnsetType = UNSET
    published_at: str | None | UnsetType = UNSET
    starts_at: str | None | UnsetType = UNSET
    ends_at: str | None | UnsetType = UNSET


class StatusUpdateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message: str | UnsetType = UNSET
    affected_resources: list[AffectedIn]
    notify_subscribers: bool | UnsetType = UNSET
    published_at: str | None | UnsetType = UNSET


def _affected(report: Any) -> list[dict]:
    status = "resolved" if report.status == "resolved" else "downtime"
    return [{"status_page_resource_id": resource_id, "status": status} for resource_id in report.affected_resource_ids]


def status_update(update: Any, report: Any, affected: list[dict]) -> dict:
    return jsonapi.resource(update.id, "status_update", {
        "message": update.message, "published_at": jsonapi.iso(update.created_at), "published_at_timezone": "UTC",
        "notify_subscribers": False, "status_report_id": report.id, "affected_resources": affected})


def report_resource(row: store.ReportRow, page_id: str) -> tuple[dict, list[dict]]:
    """The report and its `included` status updates (each showing the report's resources now)."""
    report = report_object(row, page_id)
    affected = _affected(report)
    item = jsonapi.resource(report.id, "status_report", {
        "title": report.title, "report_type": "manual", "starts_at": jsonapi.iso(report.created_at),
        "ends_at": jsonapi.iso(report.resolved_at), "status_page_id": page_id, "affected_resources": affected,
        "aggregate_state": "Operational" if report.status == "resolved" else "Downtime"})
    item["relationships"] = {"status_updates": {"data": [{"id": update.id, "type": "status_update"}
                                                         for update in report.updates]}}
    return item, [status_update(update, report, affected) for update in report.updates]


def one_report(row: store.ReportRow, page_id: str) -> dict:
    item, included = report_resource(row, page_id)
    return {"data": item, "included": included}


def affected_ids(given: list[AffectedIn], field: str = "affected_resources") -> tuple[list[str], bool]:
    """(the resources' ids, whether all are resolved)."""
    for index, item in enumerate(given):
        if item.status not in AFFECTED_STATUSES:
            raise unprocessable(f"{field}.{index}.status must be resolved, degraded or downtime (maintenance is "
                                f"upstatd's maintenance windows, /api/maintenance)", f"{field}.{index}.status")
    return [str(item.status_page_resource_id) for item in given], all(item.status == "resolved" for item in given)


@route("GET", PATH, PERMISSION, "read", "Better Stack: a status page's reports, oldest first, page by page",
       query=jsonapi.PageQuery)
async def list_status_reports(request: web.Request) -> web.Response:
    query = read_query(request, jsonapi.PageQuery)
    page_id = request.match_info["id"]

    def read(conn: Any) -> tuple[list[store.ReportRow], int]:
        return numbered.report_page(conn, find(conn, page_id).seq, number=query.page, size=query.per_page)

    rows, total = await _context(request).read_conn.call(read)
    return respond(jsonapi.page(request, [report_resource(row, page_id)[0] for row in rows], query, total))


@route("GET", ONE, PERMISSION, "read", "Better Stack: a status report with its status updates")
async def get_status_report(request: web.Request) -> web.Response:
    page_id = request.match_info["id"]
    row = await _context(request).status_page_commands.get_report(page_id, request.match_info["status_report_id"])
    return respond(one_report(row, page_id))


@route("POST", PATH, PERMISSION, "create", "Better Stack: publish a status report with its first status update",
       status=201)
@speaks(FIELDS)
async def create_status_report(request: web.Request) -> web.Response:
    sent = await read_json(request, ReportIn)
    if sent.report_type != "manual":
        raise unprocessable(f"report_type {sent.report_type[:40]} is not supported: upstatd's maintenance is "
                            f"/api/maintenance (report_type manual)", "report_type")
    for required in ("title", "message"):
        if getattr(sent, required) is UNSET:
            raise unprocessable(f"{required} is required", required)
    ids, resolved = affected_ids([] if sent.affected_resources is UNSET else sent.affected_resources)
    body = {"title": sent.title, "message": sent.message, "affected_resource_ids": ids,
            "status": "resolved" if resolved and ids else "investigating"}
    page_id = request.match_info["id"]
    made = await _context(request).status_page_commands.create_report(page_id, into(body, ReportCreate, FIELDS))
    return respond(one_report(made.row, page_id), status=201)


@route("PATCH", ONE, PERMISSION, "update", "Better Stack: change a status report's title or affected resources")
@speaks(FIELDS)
async def update_status_report(request: web.Request) -> web.Response:
    sent = await read_json(request, ReportIn)
    if sent.message is not UNSET:
        raise unprocessable("message: add a status update instead (…/status-updates)", "message")
    if sent.report_type != "manual":
        raise unprocessable(f"report_type {sent.report_type[:40]} is not supported", "report_type")
    body: dict[str, Any] = {} if sent.title is UNSET else {"title": sent.title}
    if sent.affected_resources is not UNSET:
        body["affected_resource_ids"] = affected_ids(sent.affected_resources)[0]
    commands = _context(request).status_page_commands
    page_id, report_id = request.match_info["id"], request.match_info["status_report_id"]
    row = await commands.get_report(page_id, report_id)
    if body:
        row = (await commands.update_report(page_id, report_id, into(body, ReportUpdate, FIELDS))).row
    return respond(one_report(row, page_id))


@route("DELETE", ONE, PERMISSION, "delete", "Better Stack: delete a status report with its updates", status=204)
async def delete_status_report(request: web.Request) -> web.Response:
    await _context(request).status_page_commands.delete_report(request.match_info["id"],
                                                               request.match_info["status_report_id"])
    return no_content()


@route("GET", f"{ONE}/status-updates", PERMISSION, "read", "Better Stack: a status report's updates, oldest first",
       query=jsonapi.PageQuery)
async def list_status_updates(request: web.Request) -> web.Response:
    query = read_query(request, jsonapi.PageQuery)
    page_id = request.match_info["id"]
    row = await _context(request).status_page_commands.get_report(page_id, request.match_info["status_report_id"])
    _, updates = report_resource(row, page_id)
    start = query.per_page * (query.page - 1)
    return respond(jsonapi.page(request, updates[start:start + query.per_page], query, len(updates)))


@route("POST", f"{ONE}/status-updates", PERMISSION, "create",
       "Better Stack: add a status update to a report (all its resources resolved: the report is resolved)",
       status=201)
@speaks({"message": "message", "affected_resource_ids": "affected_resources"})
async def create_status_update(request: web.Request) -> web.Response:
    sent = await read_json(request, StatusUpdateIn)
    if sent.message is UNSET:
        raise unprocessable("message is required: what the update says", "message")
    commands = _context(request).status_page_commands
    page_id, report_id = request.match_info["id"], request.match_info["status_report_id"]
    row = await commands.get_report(page_id, report_id)
    ids, resolved = affected_ids(sent.affected_resources)
    if ids != list(row.affected):
        row = (await commands.update_report(page_id, report_id, into({"affected_resource_ids": ids}, ReportUpdate,
                                                                     FIELDS))).row
    status = "resolved" if resolved else ("investigating" if row.status == "resolved" else row.status)
    row = (await commands.add_update(page_id, report_id, into({"status": status, "message": sent.message},
                                                              ReportUpdateCreate, FIELDS))).row
    report = report_object(row, page_id)
    return respond(jsonapi.one(status_update(report.updates[-1], report, _affected(report))), status=201)

