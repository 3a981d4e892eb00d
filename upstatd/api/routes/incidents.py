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
- GET /api/incidents/{id} carries the incident's `runbooks` (the list does not);
  POST .../runbooks/{runbook_id}/steps/{step} marks one done (api/routes/runbooks.py).
- POST .../escalate fires the next step of the incident's escalation policy now
  (upstatd/oncall/escalations.py); 409 `nothing_to_escalate` when there is none.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import MAX_TIMESTAMP, read_json, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import Resource, partial_update, route
from upstatd.incidents.commands import IncidentCommands
from upstatd.incidents.public import (AffectedChecks, CommentBody,
                                      IncidentCreate, IncidentObject, IncidentPatch, IncidentUpdate, Severity,
                                      Source, Status, StatusBody, TransitionBody, incident_object, update_object)
from upstatd.runbooks.public import IncidentDetail, incident_detail
from upstatd.store import incidents as store

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


IncidentList = pagination.list_of(IncidentObject, "IncidentList")
IncidentUpdateList = pagination.list_of(IncidentUpdate, "IncidentUpdateList")


# -- helpers -------------------------------------------------------------------------------


def author_of(token: Any, given: str | None) -> str:
    """Who made the change: the `author` given, else the token's name (the MCP tools' too)."""
    return given or token.name


def _author(request: web.Request, given: str | None) -> str:
    from upstatd.api.server import TOKEN
    return author_of(request[TOKEN], given)


# -- routes -------------------------------------------------------------------------------

@route("POST", "/api/incidents", "incidents", "create", "Open an incident by hand (source manual)",
       body=IncidentCreate, response=IncidentObject, status=201)
async def create(request: web.Request) -> web.Response:
    body = await read_json(request, IncidentCreate)
    incident = await _context(request).incident_commands.create(body, _author(request, body.author))
    return respond(incident_object(incident), status=201)


incidents = Resource("/api/incidents", "incidents", lambda context: context.incident_commands,
                     lambda context, incident: incident_object(incident))
incidents.list("List incidents, newest first", query=IncidentListQuery, response=IncidentList,
               page=store.list_page)


@route("GET", "/api/incidents/{id}", "incidents", "read",
       "Retrieve an incident, with the runbooks it shows and the steps done of them", response=IncidentDetail)
async def retrieve(request: web.Request) -> web.Response:
    ctx = _context(request)
    incident = await ctx.incident_commands.get(request.match_info["id"])
    return respond(incident_detail(incident_object(incident), await ctx.runbook_commands.for_incident(incident.id)))


incidents.children("updates", "An incident's timeline: comments and every change, newest first", query=ListQuery,
                   response=IncidentUpdateList, page=store.updates_page, show=update_object,
                   owner=lambda incident: incident.id)
incidents.view("affected-checks", "The incident's monitors and heartbeats: their current state and the checks "
               "that failed during it", IncidentCommands.affected_checks, response=AffectedChecks)


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


@route("POST", "/api/incidents/{id}/escalate", "incidents", "update",
       "Escalate now: fire the next step of the incident's escalation policy (409 nothing_to_escalate when "
       "it is not open, has no policy, or every step fired)", body=TransitionBody, response=IncidentObject)
async def escalate(request: web.Request) -> web.Response:
    body = await read_json(request, TransitionBody)
    incident = await _context(request).incident_commands.escalate(request.match_info["id"],
                                                                  _author(request, body.author))
    return respond(incident_object(incident))


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
