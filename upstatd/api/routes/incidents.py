"""/api/incidents: incidents, their lifecycle and their timeline.

- System incidents (`source: "system"`) are opened by the daemon when a monitor
  or heartbeat goes down (or degraded) and resolved when it recovers; manual
  ones (`source: "manual"`) are made with POST /api/incidents.
- The lifecycle (upstatd.incidents.lifecycle) is open -> acknowledged ->
  resolved -> closed, open -> resolved, resolved -> open (reopen); closed is
  final. Any other move is a 409 naming the current status and the allowed moves.
- Every change adds a timeline entry (GET .../updates) with who made it: the
  `author` given, else the token's name; the daemon's own are by "system".
- Every change is an `incident.*` event, committed with the change.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import MAX_TIMESTAMP, read_json, read_query, respond
from upstatd.api.errors import not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import partial_update, route
from upstatd.incidents.public import (FAILED_CHECKS, AffectedCheck, AffectedChecks, CommentBody,
                                      IncidentCreate, IncidentObject, IncidentPatch, IncidentUpdate, Severity,
                                      Source, Status, StatusBody, TransitionBody, incident_object, update_object)
from upstatd.monitors.public import check_object
from upstatd.store import checks
from upstatd.store import heartbeats as heartbeat_store
from upstatd.store import incidents as store
from upstatd.store import monitors as monitor_store

Timestamp = pagination.Timestamp


# -- shapes ---------------------------------------------------------------------------

class IncidentListQuery(ListQuery, forbid_unknown_fields=True):
    status: Status | None = None
    severity: Severity | None = None
    monitor_id: str | None = None
    source: Source | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None
    since: Annotated[int, msgspec.Meta(ge=0, le=MAX_TIMESTAMP,
                                       description="Only incidents changed at or after this time (Unix seconds)")
                     ] | None = None


class MonitorIncidentsQuery(ListQuery, forbid_unknown_fields=True):
    from_: Timestamp | None = msgspec.field(default=None, name="from")
    to: Timestamp | None = None


IncidentList = pagination.list_of(IncidentObject, "IncidentList")
IncidentUpdateList = pagination.list_of(IncidentUpdate, "IncidentUpdateList")


# -- helpers -------------------------------------------------------------------------------


def _author(request: web.Request, given: str | None) -> str:
    """Who made the change: the `author` given, else the token's name."""
    if given:
        return given
    from upstatd.api.server import TOKEN
    return request[TOKEN].name


def _listed(found: list, has_more: bool, url: str) -> web.Response:
    return respond(pagination.envelope([incident_object(item) for item in found], has_more, url))


# -- routes -------------------------------------------------------------------------------

@route("POST", "/api/incidents", "incidents", "create", "Open an incident by hand (source manual)",
       body=IncidentCreate, response=IncidentObject, status=201)
async def create(request: web.Request) -> web.Response:
    body = await read_json(request, IncidentCreate)
    incident = await _context(request).incident_commands.create(body, _author(request, body.author))
    return respond(incident_object(incident), status=201)


@route("GET", "/api/incidents", "incidents", "read", "List incidents, newest first", query=IncidentListQuery,
       response=IncidentList)
async def list_incidents(request: web.Request) -> web.Response:
    query = read_query(request, IncidentListQuery)
    found, has_more = await pagination.fetch(_context(request).read_conn, store.list_page, query)
    return _listed(found, has_more, "/api/incidents")


@route("GET", "/api/incidents/{id}", "incidents", "read", "Retrieve an incident", response=IncidentObject)
async def retrieve(request: web.Request) -> web.Response:
    return respond(incident_object(await _context(request).incident_commands.get(request.match_info["id"])))


@partial_update("/api/incidents/{id}", "incidents",
                "Change an incident's severity, title, message or metadata",
                body=IncidentPatch, response=IncidentObject)
async def update(request: web.Request) -> web.Response:
    body = await read_json(request, IncidentPatch)
    incident = await _context(request).incident_commands.update(request.match_info["id"], body,
                                                                _author(request, body.author))
    return respond(incident_object(incident))


def _transition(action: str, summary: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        body = await read_json(request, TransitionBody)
        incident = await _context(request).incident_commands.move(request.match_info["id"], action,
                                                                  _author(request, body.author), body.message)
        return respond(incident_object(incident))

    handler.__name__ = action
    route("POST", f"/api/incidents/{{id}}/{action}", "incidents", "update", summary,
          body=TransitionBody, response=IncidentObject)(handler)


_transition("acknowledge", "Acknowledge an open incident")
_transition("resolve", "Resolve an open or acknowledged incident")
_transition("reopen", "Reopen a resolved incident")
_transition("close", "Close a resolved incident (final)")


@route("PUT", "/api/incidents/{id}/status", "incidents", "update",
       "Move an incident to a status (the same moves as the action routes)", body=StatusBody,
       response=IncidentObject)
async def set_status(request: web.Request) -> web.Response:
    body = await read_json(request, StatusBody)
    incident = await _context(request).incident_commands.move(request.match_info["id"], None,
                                                              _author(request, body.author), body.message,
                                                              target=body.status)
    return respond(incident_object(incident))


@route("POST", "/api/incidents/{id}/updates", "incidents", "update", "Comment on an incident (its timeline)",
       body=CommentBody, response=IncidentUpdate, status=201)
async def comment(request: web.Request) -> web.Response:
    body = await read_json(request, CommentBody)
    update = await _context(request).incident_commands.comment(request.match_info["id"], body.message,
                                                               _author(request, body.author))
    return respond(update, status=201)


@route("GET", "/api/incidents/{id}/updates", "incidents", "read",
       "An incident's timeline: comments and every change, newest first", query=ListQuery,
       response=IncidentUpdateList)
async def list_updates(request: web.Request) -> web.Response:
    conn = _context(request).read_conn
    incident_id = request.match_info["id"]
    query = read_query(request, ListQuery)
    incident_seq = await conn.call(store.seq_of, incident_id)
    if incident_seq is None:
        raise not_found(f"no incident with id '{incident_id}'", "id")
    found, has_more = await pagination.fetch(conn, store.updates_page, query, incident_seq=incident_seq)
    return respond(pagination.envelope([update_object(row, incident_id) for row in found], has_more,
                                       f"/api/incidents/{incident_id}/updates"))


@route("GET", "/api/incidents/{id}/affected-checks", "incidents", "read",
       "The incident's monitors and heartbeats: their current state and the checks that failed during it",
       response=AffectedChecks)
async def affected_checks(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    incident_id = request.match_info["id"]
    incident = await conn.call(store.get, incident_id)
    if incident is None:
        raise not_found(f"no incident with id '{incident_id}'", "id")
    until = incident.resolved_at if incident.resolved_at is not None else context.now_ms()
    data = []
    for subject in incident.affected:
        if subject.startswith("hbt_"):
            beat = await conn.call(heartbeat_store.get, subject)
            data.append(AffectedCheck("affected_check", subject, "heartbeat", beat and beat.name,
                                      beat and beat.current_state, []))
            continue
        monitor = await conn.call(monitor_store.get, subject)
        if monitor is None:
            data.append(AffectedCheck("affected_check", subject, "monitor", None, None, []))
            continue
        rows = await conn.call(checks.failed_between, monitor.seq, incident.started_at - _lead(monitor), until,
                               FAILED_CHECKS)
        data.append(AffectedCheck("affected_check", subject, "monitor", monitor.name, monitor.current_state,
                                  [check_object(row, subject) for row in rows]))
    return respond(AffectedChecks("list", data, f"/api/incidents/{incident_id}/affected-checks"))


def _lead(monitor: Any) -> int:
    """The failed checks that confirmed the failure came before the incident
    opened: look back over the confirmation (failures x (interval + timeout))."""
    confirmation = monitor.spec.get("confirmation") or {}
    failures = int(confirmation.get("failures", 1) or 1)
    return failures * (monitor.interval_ms + monitor.timeout_ms)


@route("GET", "/api/monitors/{id}/incidents", "incidents", "read",
       "A monitor's incidents, newest first; from/to: those that overlap the window", query=MonitorIncidentsQuery,
       response=IncidentList)
async def monitor_incidents(request: web.Request) -> web.Response:
    conn = _context(request).read_conn
    monitor_id = request.match_info["id"]
    query = read_query(request, MonitorIncidentsQuery)
    if await conn.call(monitor_store.get, monitor_id) is None:
        raise not_found(f"no monitor with id '{monitor_id}'", "id")
    found, has_more = await pagination.fetch(conn, store.monitor_page, query, monitor_id=monitor_id)
    return _listed(found, has_more, f"/api/monitors/{monitor_id}/incidents")
