"""Better Stack's Uptime API v3, first slice: incidents under `/api/v3/incidents` (list,
get, acknowledge, resolve), over upstatd's incident commands and serializer (the
errors in Better Stack's envelope: betterstack.py registers `/api/v3/`).

Pages default to 10 incidents and hold at most 50, as Better Stack's; newest first.
Better Stack's `status` is Started (upstatd's open), Acknowledged, Resolved (resolved
or closed)."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from upstatd.api.bodies import read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.errors import ApiError
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.incidents.public import incident_object
from upstatd.store import numbered

STATUS = {"open": "Started", "acknowledged": "Acknowledged", "resolved": "Resolved", "closed": "Resolved"}


class IncidentQuery(msgspec.Struct, forbid_unknown_fields=True):
    page: int = 1
    per_page: int = 10
    monitor_id: str | None = None
    resolved: bool | None = None
    acknowledged: bool | None = None
    team_name: str | None = None  # one team: ignored

    def __post_init__(self) -> None:
        for name in ("page", "per_page"):
            if getattr(self, name) < 1:
                raise ApiError(422, "invalid_request_error", "parameter_invalid",
                               f"{name} must be 1 or more, got {getattr(self, name)}", name)
        self.per_page = min(self.per_page, 50)


class AcknowledgeIn(msgspec.Struct, forbid_unknown_fields=True):
    acknowledged_by: str | None = None


class ResolveIn(msgspec.Struct, forbid_unknown_fields=True):
    resolved_by: str | None = None


def incident_resource(incident: Any) -> dict:
    shown = incident_object(incident)
    monitor = shown.affected_monitor_ids[0] if shown.affected_monitor_ids else None
    item = jsonapi.resource(shown.id, "incident", {
        "name": shown.title,
        "cause": shown.error_message or shown.title,
        "started_at": jsonapi.iso(shown.started_at),
        "acknowledged_at": jsonapi.iso(shown.acknowledged_at),
        "acknowledged_by": shown.acknowledged_by,
        "resolved_at": jsonapi.iso(shown.resolved_at),
        "resolved_by": None,
        "status": STATUS[shown.status],
        "metadata": shown.metadata,
        "call": False, "sms": False, "email": False, "push": False,
    })
    item["relationships"] = {"monitor": {"data": {"id": monitor, "type": "monitor"} if monitor else None}}
    return item


def _author(request: web.Request, given: str | None) -> str:
    if given:
        return given
    from upstatd.api.server import TOKEN
    return request[TOKEN].name


@route("GET", "/api/v3/incidents", "incidents", "read",
       "Better Stack: list incidents, newest first, page by page (10 a page, at most 50)", query=IncidentQuery)
async def list_incidents(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, IncidentQuery)
    rows, total = await context.read_conn.call(lambda conn: numbered.incident_page(
        conn, number=query.page, size=query.per_page, monitor_id=query.monitor_id, resolved=query.resolved,
        acknowledged=query.acknowledged))
    return respond(jsonapi.page(request, [incident_resource(row) for row in rows], query, total))


@route("GET", "/api/v3/incidents/{id}", "incidents", "read", "Better Stack: an incident")
async def get_incident(request: web.Request) -> web.Response:
    incident = await _context(request).incident_commands.get(request.match_info["id"])
    return respond(jsonapi.one(incident_resource(incident)))


@route("POST", "/api/v3/incidents/{id}/acknowledge", "incidents", "update",
       "Better Stack: acknowledge an incident (stops its escalation)")
async def acknowledge_incident(request: web.Request) -> web.Response:
    sent = await read_json(request, AcknowledgeIn)
    incident = await _context(request).incident_commands.move(
        request.match_info["id"], "acknowledge", _author(request, sent.acknowledged_by), None)
    return respond(jsonapi.one(incident_resource(incident)))


@route("POST", "/api/v3/incidents/{id}/resolve", "incidents", "update", "Better Stack: resolve an incident")
async def resolve_incident(request: web.Request) -> web.Response:
    sent = await read_json(request, ResolveIn)
    incident = await _context(request).incident_commands.move(
        request.match_info["id"], "resolve", _author(request, sent.resolved_by), None)
    answer = incident_resource(incident)
    answer["attributes"]["resolved_by"] = _author(request, sent.resolved_by)
    return respond(jsonapi.one(answer))
