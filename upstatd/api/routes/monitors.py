"""/api/monitors: monitors, their status and their checks.

- A monitor made over the API (`managed_by: "api"`, `key: null`) lives only in
  the database; one from the config file (`managed_by: "config"`) can be read,
  paused and resumed, but PATCH/PUT/DELETE answer 409 naming the file and key.
- Bodies are validated by the config file's own `parse_monitor` (through
  upstatd.monitors.specs), so the API accepts exactly what YAML accepts; a
  problem's key path becomes `param` (`http.method`, `interval_seconds`).
- Every change reaches the scheduler as soon as its transaction commits:
  a new, changed or resumed monitor is probed within half a second.
- PUT is a partial update, the same as PATCH; `type` cannot change.
- Secrets in type options (HTTP `auth`, every header value but a few harmless
  ones: monitors.specs.HARMLESS_HEADERS) are shown as "********"; sending that
  value back keeps the stored secret.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import future_ms, read_json, read_query, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import Resource, route
from upstatd.incidents.public import IncidentObject, incident_object
from upstatd.monitors import commands
from upstatd.monitors.public import (CURRENT_STATES, MANAGERS, STATUSES, Check, Monitor, MonitorCreate,
                                     MonitorSla, MonitorStatus, MonitorUpdate, PauseBody, TypeName,
                                     monitor_object)
from upstatd.store import incidents as incident_store
from upstatd.store import monitors as store
from upstatd.store import uptime

Timestamp = pagination.Timestamp


# -- shapes ---------------------------------------------------------------------------

class MonitorListQuery(ListQuery, forbid_unknown_fields=True):
    status: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(STATUSES)})] | None = None
    current_state: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(CURRENT_STATES)})] | None = None
    type: TypeName | None = None
    tag: str | None = None
    managed_by: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(MANAGERS)})] | None = None
    group_id: str | None = None
    service_id: str | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class CheckListQuery(ListQuery, forbid_unknown_fields=True):
    ok: bool | None = None
    region: Annotated[str, msgspec.Meta(min_length=1, description=(
        "Only the checks probed from this region (the daemon's own: server.region)"))] | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class MonitorIncidentsQuery(ListQuery, forbid_unknown_fields=True):
    from_: Timestamp | None = msgspec.field(default=None, name="from")
    to: Timestamp | None = None


class SlaQuery(msgspec.Struct, forbid_unknown_fields=True):
    from_: Timestamp | None = msgspec.field(default=None, name="from")
    to: Timestamp | None = None


MonitorList = pagination.list_of(Monitor, "MonitorList")
CheckList = pagination.list_of(Check, "CheckList")
IncidentList = pagination.list_of(IncidentObject, "IncidentList")


# -- routes -------------------------------------------------------------------------------

monitors = Resource("/api/monitors", "monitors", lambda context: context.monitor_commands,
                    lambda context, row: monitor_object(row))
monitors.create("Create a monitor; it is probed within a second", body=MonitorCreate, response=Monitor)
monitors.list("List monitors, newest first, each with its stats: uptime over 24 h / 7 d / 30 d and latency over "
              "24 h", query=MonitorListQuery, response=MonitorList, page=uptime.with_figures(store.list_page),
              show=lambda context, item: monitor_object(*item), timed=True)
monitors.retrieve("Retrieve a monitor", response=Monitor)
monitors.update("Update a monitor: only the fields given change; type blocks and metadata merge",
                body=MonitorUpdate, response=Monitor)
monitors.delete("Delete a monitor and its history")


@route("GET", "/api/monitors/{id}/checks", "monitors", "read",
       "List a monitor's checks, newest first, each with the region it was probed from",
       query=CheckListQuery, response=CheckList)
async def list_checks(request: web.Request) -> web.Response:
    filters = pagination.values(read_query(request, CheckListQuery))
    monitor_id, found, has_more = await _context(request).monitor_commands.checks(request.match_info["id"],
                                                                                filters)
    return respond(pagination.envelope(found, has_more, f"/api/monitors/{monitor_id}/checks"))


monitors.children("incidents", "A monitor's incidents, newest first; from/to: those that overlap the window",
                  query=MonitorIncidentsQuery, response=IncidentList, page=incident_store.monitor_page,
                  show=lambda incident, monitor_id: incident_object(incident), owner=lambda row: row.id,
                  resource="incidents")
monitors.view("status", "Current state, last check, uptime over 24 h / 7 d / 30 d and latency over 24 h; for a "
              "monitor probed from several regions, each region's state and the quorum",
              commands.MonitorCommands.status, response=MonitorStatus)
monitors.action("resume", "Resume a paused monitor: probed within a second, then on its interval",
                commands.MonitorCommands.resume, response=Monitor)


@route("GET", "/api/monitors/{id}/sla", "monitors", "read",
       "Availability, downtime and incidents over a window of up to 400 days (default: the last 30), "
       "with the average response time, in all and per UTC day", query=SlaQuery, response=MonitorSla)
async def sla(request: web.Request) -> web.Response:
    query = read_query(request, SlaQuery)
    return respond(await _context(request).monitor_commands.sla(request.match_info["id"], query.from_, query.to))


@route("POST", "/api/monitors/{id}/pause", "monitors", "update",
       "Pause a monitor (config ones too); with resume_at it resumes by itself then",
       body=PauseBody, response=Monitor)
async def pause(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, PauseBody)
    resume_at_ms = future_ms(body.resume_at, context.now_ms(), "resume_at")
    changed = await context.monitor_commands.pause(request.match_info["id"], resume_at_ms)
    return respond(monitor_object(changed.row))
