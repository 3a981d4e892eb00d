"""Better Stack's Uptime API v3 incidents under `/api/v3/incidents` (list, get, create,
acknowledge, resolve, reopen, escalate; delete refused), over upstatd's incident commands
and serializer (the errors in Better Stack's envelope: betterstack.py registers `/api/v3/`).
Their comments and timeline: betterstack_incident_comments.py.

Pages default to 10 incidents and hold at most 50, as Better Stack's; newest first.
Better Stack's `status` is Started (upstatd's open), Acknowledged, Resolved (resolved
or closed). `metadata` is upstatd's, each value as Better Stack writes one:
`{"key": [{"type": "String", "value": "..."}]}`; `metadata[key]=value` filters the list."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec
from aiohttp import web

from upstatd import errors as domain
from upstatd.api import explain
from upstatd.api.bodies import read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack import DAY, _day
from upstatd.api.errors import ApiError, from_domain
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.incidents.public import IncidentCreate, incident_object
from upstatd.store import numbered

STATUS = {"open": "Started", "acknowledged": "Acknowledged", "resolved": "Resolved", "closed": "Resolved"}


class IncidentQuery(msgspec.Struct, forbid_unknown_fields=True):
    page: int = 1
    per_page: int = 10
    from_: str | None = msgspec.field(default=None, name="from")  # YYYY-MM-DD: started on that day or later
    to: str | None = None                                          # YYYY-MM-DD: started on that day or earlier
    monitor_id: str | None = None
    heartbeat_id: str | None = None
    resolved: bool | None = None
    acknowledged: bool | None = None
    team_name: str | None = None  # one team: ignored
    nested_query: ClassVar[tuple[str, ...]] = ("metadata",)  # metadata[<key>]=<value>: _metadata_filter

    def __post_init__(self) -> None:
        for name in ("page", "per_page"):
            if getattr(self, name) < 1:
                raise ApiError(422, "invalid_request_error", "parameter_invalid",
                               f"{name} must be 1 or more, got {getattr(self, name)}", name)
        self.per_page = min(self.per_page, 50)


class NoBodyIn(msgspec.Struct, forbid_unknown_fields=True):
    team_name: str | None = None


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
        "metadata": {key: [{"type": "String", "value": value}] for key, value in (shown.metadata or {}).items()},
        "regions": list(shown.regions or ()),  # the probe regions that saw it fail (docs/regions.md)
        "call": False, "sms": False, "email": False, "push": False,
    })
    item["relationships"] = {"monitor": {"data": {"id": monitor, "type": "monitor"} if monitor else None}}
    return item


def _author(request: web.Request, given: str | None) -> str:
    if given:
        return given
    from upstatd.api.server import TOKEN
    return request[TOKEN].name


METADATA = re.compile(r"^metadata\[([^\[\]]+)\]$")


def _metadata_filter(request: web.Request) -> dict[str, str]:
    """Better Stack's nested filter, `metadata[key]=value` (IncidentQuery.nested_query lets them in)."""
    wanted: dict[str, str] = {}
    for name in request.query:
        if not name.startswith("metadata"):
            continue
        match = METADATA.match(name)
        if match is None:
            raise ApiError(422, "invalid_request_error", "parameter_invalid",
                           f"{name}: filter by metadata as metadata[<key>]=<value>", name)
        values = request.query.getall(name)
        if len(values) > 1:
            raise ApiError(422, "invalid_request_error", "parameter_invalid",
                           f"{name} was given {len(values)} times; give it once", name)
        wanted[match.group(1)] = values[0]
    return wanted


def _midnight_ms(text: str | None, name: str, days: int = 0) -> int | None:
    """A date's midnight (UTC, ms), `days` later; one that does not parse is a 422 naming it
    (a list's filter, not the SLA's date range)."""
    try:
        midnight = _day(text)
    except ApiError:
        raise ApiError(422, "invalid_request_error", "parameter_invalid",
                       f"{name} must be a date, YYYY-MM-DD (got {text!r})", name) from None
    return None if midnight is None else (midnight + days * DAY) * 1000


@route("GET", "/api/v3/incidents", "incidents", "read",
       "Better Stack: list incidents, newest first, page by page (10 a page, at most 50); from/to (dates), "
       "monitor_id, heartbeat_id, resolved, acknowledged and metadata[key] filter", query=IncidentQuery)
async def list_incidents(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, IncidentQuery)
    metadata = _metadata_filter(request)
    started_from = _midnight_ms(query.from_, "from")
    started_before = _midnight_ms(query.to, "to", days=1)
    rows, total = await context.read_conn.call(lambda conn: numbered.incident_page(
        conn, number=query.page, size=query.per_page, monitor_id=query.monitor_id, resolved=query.resolved,
        acknowledged=query.acknowledged, heartbeat_id=query.heartbeat_id, started_from=started_from,
        started_before=started_before, metadata=metadata))
    return respond(jsonapi.page(request, [incident_resource(row) for row in rows], query, total))


@route("GET", "/api/v3/incidents/{id}", "incidents", "read", "Better Stack: an incident")
async def get_incident(request: web.Request) -> web.Response:
    incident = await _context(request).incident_commands.get(request.match_info["id"])
    return respond(jsonapi.one(incident_resource(incident)))


@route("DELETE", "/api/v3/incidents/{id}", "incidents", "delete",
       "Better Stack: delete an incident (refused: upstatd keeps incidents)", status=204)
async def delete_incident(request: web.Request) -> web.Response:
    incident = await _context(request).incident_commands.get(request.match_info["id"])  # a 404 first
    raise domain.Conflict(f"upstatd keeps every incident for its history; {incident.id} cannot be deleted. "
                          f"Resolve it (POST /api/v3/incidents/{incident.id}/resolve), then close it "
                          f"(POST /api/incidents/{incident.id}/close)", "incident_kept")


@route("POST", "/api/v3/incidents/{id}/acknowledge", "incidents", "update",
       "Better Stack: acknowledge an incident (stops its escalation)", body=AcknowledgeIn)
async def acknowledge_incident(request: web.Request) -> web.Response:
    sent = await read_json(request, AcknowledgeIn)
    incident = await _context(request).incident_commands.move(
        request.match_info["id"], "acknowledge", _author(request, sent.acknowledged_by), None)
    return respond(jsonapi.one(incident_resource(incident)))


@route("POST", "/api/v3/incidents/{id}/resolve", "incidents", "update", "Better Stack: resolve an incident",
       body=ResolveIn)
async def resolve_incident(request: web.Request) -> web.Response:
    sent = await read_json(request, ResolveIn)
    incident = await _context(request).incident_commands.move(
        request.match_info["id"], "resolve", _author(request, sent.resolved_by), None)
    answer = incident_resource(incident)
    answer["attributes"]["resolved_by"] = _author(request, sent.resolved_by)
    return respond(jsonapi.one(answer))


# -- create, reopen, escalate ----------------------------------------------------

class IncidentIn(msgspec.Struct, forbid_unknown_fields=True):
    requester_email: str | None = None   # who opens it: the first timeline entry's author
    name: str | None = None
    summary: str | None = None
    description: str | None = None
    # how Better Stack pages (upstatd: the escalation policies and alert channels): taken and ignored
    call: bool | None = None
    sms: bool | None = None
    email: bool | None = None
    push: bool | None = None
    critical_alert: bool | None = None
    team_wait: int | None = None
    policy_id: str | int | None = None
    team_name: str | None = None


NAMES = {"title": "summary", "error_message": "description", "author": "requester_email"}


@route("POST", "/api/v3/incidents", "incidents", "create",
       "Better Stack: open an incident by hand; it escalates as upstatd's manual incidents do", status=201,
       body=IncidentIn)
async def create_incident(request: web.Request) -> web.Response:
    sent = await read_json(request, IncidentIn)
    title = sent.name or sent.summary
    if not title:
        raise ApiError(422, "invalid_request_error", "parameter_invalid",
                       "summary (or name) is required: what is wrong", "summary")
    body = {"title": title, **({"error_message": sent.description} if sent.description else {})}
    try:
        incident = await _context(request).incident_commands.create(
            msgspec.convert(body, IncidentCreate), _author(request, sent.requester_email))
    except msgspec.ValidationError as exc:
        raise jsonapi.renamed(explain.validation_error(exc, IncidentCreate, body, query=False), NAMES) from None
    except domain.DomainError as exc:
        raise jsonapi.renamed(from_domain(exc), NAMES) from None
    return respond(jsonapi.one(incident_resource(incident)), status=201)


@route("POST", "/api/v3/incidents/{id}/reopen", "incidents", "update", "Better Stack: reopen a resolved incident",
       body=NoBodyIn)
async def reopen_incident(request: web.Request) -> web.Response:
    await read_json(request, NoBodyIn)
    incident = await _context(request).incident_commands.move(request.match_info["id"], "reopen",
                                                              _author(request, None), None)
    return respond(jsonapi.one(incident_resource(incident)))


@route("POST", "/api/v3/incidents/{id}/escalate", "incidents", "update",
       "Better Stack: escalate now: the next step of the incident's escalation policy fires", body=NoBodyIn)
async def escalate_incident(request: web.Request) -> web.Response:
    await read_json(request, NoBodyIn)
    incident = await _context(request).incident_commands.escalate(request.match_info["id"], _author(request, None))
    return respond(jsonapi.one(incident_resource(incident)))
