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
- Secrets in type options (HTTP `auth`, `Authorization`/`Cookie` headers) are
  shown as "********"; sending that value back keeps the stored secret.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import future_ms, no_content, read_json, read_query, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import partial_update, route
from upstatd.monitors import commands
from upstatd.monitors.public import (CURRENT_STATES, MANAGERS, STATUSES, Check, Monitor, MonitorCreate,
                                     MonitorLatency, MonitorStatus, MonitorUpdate, NoBody, PauseBody, TypeName,
                                     check_object, monitor_object)
from upstatd.shapes import seconds as _seconds
from upstatd.store import checks
from upstatd.store import incidents as incident_store
from upstatd.store import monitors as store
from upstatd.store import uptime as figures

Timestamp = pagination.Timestamp


# -- shapes ---------------------------------------------------------------------------

class MonitorListQuery(ListQuery, forbid_unknown_fields=True):
    status: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(STATUSES)})] | None = None
    current_state: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(CURRENT_STATES)})] | None = None
    type: TypeName | None = None
    tag: str | None = None
    managed_by: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(MANAGERS)})] | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class CheckListQuery(ListQuery, forbid_unknown_fields=True):
    ok: bool | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


MonitorList = pagination.list_of(Monitor, "MonitorList")
CheckList = pagination.list_of(Check, "CheckList")


# -- helpers -------------------------------------------------------------------------------



# -- routes -------------------------------------------------------------------------------

@route("POST", "/api/monitors", "monitors", "create", "Create a monitor; it is probed within a second",
       body=MonitorCreate, response=Monitor, status=201)
async def create(request: web.Request) -> web.Response:
    body = await read_json(request, MonitorCreate)
    changed = await _context(request).monitor_commands.create(body)
    return respond(monitor_object(changed.row), status=201)


@route("GET", "/api/monitors", "monitors", "read", "List monitors, newest first", query=MonitorListQuery,
       response=MonitorList)
async def list_monitors(request: web.Request) -> web.Response:
    query = read_query(request, MonitorListQuery)
    found, has_more = await pagination.fetch(_context(request).read_conn, store.list_page, query)
    return respond(pagination.envelope([monitor_object(row) for row in found], has_more, "/api/monitors"))


@route("GET", "/api/monitors/{id}", "monitors", "read", "Retrieve a monitor", response=Monitor)
async def retrieve(request: web.Request) -> web.Response:
    return respond(monitor_object(await _context(request).monitor_commands.get(request.match_info["id"])))


@partial_update("/api/monitors/{id}", "monitors",
                "Update a monitor: only the fields given change; type blocks and metadata merge",
                body=MonitorUpdate, response=Monitor)
async def update(request: web.Request) -> web.Response:
    body = await read_json(request, MonitorUpdate)
    changed = await _context(request).monitor_commands.update(request.match_info["id"], body)
    return respond(monitor_object(changed.row))


@route("DELETE", "/api/monitors/{id}", "monitors", "delete", "Delete a monitor and its history", status=204)
async def delete(request: web.Request) -> web.Response:
    await _context(request).monitor_commands.delete(request.match_info["id"])
    return no_content()


@route("POST", "/api/monitors/{id}/pause", "monitors", "update",
       "Pause a monitor (config ones too); with resume_at it resumes by itself then",
       body=PauseBody, response=Monitor)
async def pause(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, PauseBody)
    resume_at_ms = future_ms(body.resume_at, context.now_ms(), "resume_at")
    changed = await context.monitor_commands.pause(request.match_info["id"], resume_at_ms)
    return respond(monitor_object(changed.row))


@route("POST", "/api/monitors/{id}/resume", "monitors", "update",
       "Resume a paused monitor: probed within a second, then on its interval", response=Monitor)
async def resume(request: web.Request) -> web.Response:
    await read_json(request, NoBody)  # no parameters: refuse unknown ones
    changed = await _context(request).monitor_commands.resume(request.match_info["id"])
    return respond(monitor_object(changed.row))


@route("GET", "/api/monitors/{id}/status", "monitors", "read",
       "Current state, last check, uptime over 24 h / 7 d / 30 d and latency over 24 h",
       response=MonitorStatus)
async def status(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    row = await conn.call(commands.find, request.match_info["id"])
    numbers = await conn.call(figures.monitor_figures, row.seq, row.created_at, context.now_ms())
    last = numbers.last_check
    last_incident_ms = await conn.call(incident_store.last_started_for, row.id)
    return respond(MonitorStatus(
        "monitor_status", row.id, row.status, row.current_state, row.state_since // 1000,
        None if last is None else check_object(last, row.id),
        numbers.uptime["24h"], numbers.uptime["7d"], numbers.uptime["30d"], _seconds(last_incident_ms),
        MonitorLatency(numbers.p50_ms, numbers.p95_ms, numbers.latency_checks)))


@route("GET", "/api/monitors/{id}/checks", "monitors", "read", "List a monitor's checks, newest first",
       query=CheckListQuery, response=CheckList)
async def list_checks(request: web.Request) -> web.Response:
    conn = _context(request).read_conn
    row = await conn.call(commands.find, request.match_info["id"])
    query = read_query(request, CheckListQuery)
    found, has_more = await pagination.fetch(conn, checks.list_page, query, monitor_seq=row.seq)
    return respond(pagination.envelope([check_object(item, row.id) for item in found], has_more,
                                       f"/api/monitors/{row.id}/checks"))
