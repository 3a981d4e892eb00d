"""UptimeIO's incidents API, spoken under the prefix `/uptimeio` (docs/dialect-uptimeio.md).

UptimeIO's paths (`/api/incidents...`) are upstatd's own, with other shapes, so the
dialect lives under `/uptimeio`: a client switches its base URL to
`https://host/uptimeio` and its key to an upstatd token, sent as `X-API-Key`
(`Authorization: Bearer` works too). Same tokens, permissions (incidents:read ...)
and rate limiter as /api: the routes are in the one route table.

A thin adapter: each route reads the dialect's query or body, calls ONE incident
command (context.incident_commands) and shows upstatd's serializer
(incidents.public.incident_object) in UptimeIO's words: `{success, data, pagination}`,
times in Unix milliseconds, `limit`/`offset` pages with a total. Every failure,
classified once by /api's middleware, is answered (api/envelopes.py) as
`{success: false, error: {code, message, details}}` with UptimeIO's codes; `details`
names the `field` at fault and carries upstatd's own type and code.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import msgspec
from aiohttp import web

from upstatd.api import envelopes, errors
from upstatd.api.bodies import read_json, read_query, respond
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.errors import Conflict, Invalid
from upstatd.incidents.public import (UNSET, CommentBody, IncidentCreate, IncidentPatch, Severity, Source,
                                      Status, StatusBody, TransitionBody, Unset, incident_object)
from upstatd.shapes import across
from upstatd.store import incidents as store
from upstatd.store.incidents import Incident

PREFIX = "/uptimeio"
BASE = f"{PREFIX}/api/incidents"
ONE = f"{BASE}/{{id}}"

# upstatd's status -> UptimeIO's code; a 422 is UptimeIO's 400 VALIDATION_ERROR
CODES = {400: "VALIDATION_ERROR", 401: "AUTHENTICATION_ERROR", 403: "FORBIDDEN", 404: "NOT_FOUND",
         405: "METHOD_NOT_ALLOWED", 408: "VALIDATION_ERROR", 409: "CONFLICT", 413: "VALIDATION_ERROR",
         422: "VALIDATION_ERROR", 429: "RATE_LIMIT_EXCEEDED", 503: "SERVICE_UNAVAILABLE"}
STATUSES = {422: 400}
TIMES = ("started_at", "acknowledged_at", "resolved_at", "closed_at", "created_at", "updated_at")


# -- shapes ---------------------------------------------------------------------------

Order = Annotated[str, msgspec.Meta(extra_json_schema={"enum": ["desc", "asc"]})]


class IncidentQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    offset: Annotated[int, msgspec.Meta(ge=0)] = 0
    sort_by: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(store.SORTABLE)})] = "created_at"
    sort_order: Order = "desc"
    status: Status | None = None
    severity: Severity | None = None
    source: Source | None = None
    check_id: str | None = None          # a monitor or heartbeat id
    since: Annotated[int, msgspec.Meta(ge=0, description="Unix ms: changed at or after")] | None = None


class UpdatesQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    offset: Annotated[int, msgspec.Meta(ge=0)] = 0
    sort_order: Order = "desc"


class UptimeIOCreate(IncidentCreate, kw_only=True, forbid_unknown_fields=True):
    """UptimeIO's create body is upstatd's, plus `source` (only manual: system incidents are
    opened by upstatd's own monitors)."""
    source: Annotated[str, msgspec.Meta(extra_json_schema={"enum": ["manual"]})] = "manual"


class UptimeIOUpdate(IncidentPatch, kw_only=True, forbid_unknown_fields=True):
    """UptimeIO's update body is upstatd's, plus `regions` (refused: the probes record them)."""
    regions: Annotated[list[str], msgspec.Meta(extra_json_schema={
        "not": {}, "description": "Refused: an incident's regions are those whose probes saw it fail"})] | Unset = UNSET


# upstatd's rule for its patch, stated for the subclass too (the OpenAPI document reads it)
across(UptimeIOUpdate, {"not": {"required": ["message", "error_message"]}})


# -- answers ----------------------------------------------------------------------------

def shown(incident: Incident) -> dict:
    """upstatd's incident serializer in UptimeIO's words: no `object`, times in Unix ms
    (the row's own, so `since` polling compares like with like)."""
    data = msgspec.to_builtins(incident_object(incident))
    del data["object"]
    for name in TIMES:
        data[name] = getattr(incident, name)
    seconds = data.pop("duration_seconds")
    data["duration_ms"] = None if seconds is None else round(seconds * 1000)
    return data


def update_shown(update: Any) -> dict:
    """A timeline entry (incidents.public.IncidentUpdate) in UptimeIO's words."""
    data = msgspec.to_builtins(update)
    del data["object"]
    data["type"] = data.pop("kind")
    data["created_at"] = update.created_at * 1000
    return data


def success(data: Any, status: int = 200, pagination: dict | None = None) -> web.Response:
    body = {"success": True, "data": data}
    if pagination is not None:
        body["pagination"] = pagination
    return respond(body, status)


def paged(total: int, limit: int, offset: int) -> dict:
    return {"total": total, "page": offset // limit + 1, "pageSize": limit,
            "totalPages": math.ceil(total / limit), "hasNext": offset + limit < total, "hasPrevious": offset > 0}


def descending(order: str) -> bool:
    if order not in ("asc", "desc"):
        raise Invalid(f"sort_order must be asc or desc, got '{order[:20]}'", "sort_order")
    return order == "desc"


def _author(request: web.Request, given: str | None) -> str:
    from upstatd.api.server import TOKEN
    return given or request[TOKEN].name


# -- routes -------------------------------------------------------------------------------

@route("GET", BASE, "incidents", "read", "UptimeIO: list incidents (limit/offset, filters, since in ms)",
       query=IncidentQuery)
async def list_incidents(request: web.Request) -> web.Response:
    query = read_query(request, IncidentQuery)
    ctx = _context(request)
    found, total = await ctx.read_conn.call(lambda conn: store.offset_page(
        conn, status=query.status, severity=query.severity, source=query.source, monitor_id=query.check_id,
        since_ms=query.since, sort_by=query.sort_by, descending=descending(query.sort_order),
        limit=query.limit, offset=query.offset))
    return success([shown(incident) for incident in found], pagination=paged(total, query.limit, query.offset))


@route("POST", BASE, "incidents", "create", "UptimeIO: create a manual incident", body=UptimeIOCreate, status=201)
async def create_incident(request: web.Request) -> web.Response:
    body = await read_json(request, UptimeIOCreate)
    if body.source != "manual":
        raise Invalid(f"source must be manual, got '{body.source[:20]}': system incidents are opened by "
                      f"upstatd's monitors", "source")
    incident = await _context(request).incident_commands.create(body, _author(request, body.author))
    return success(shown(incident), 201)


@route("GET", ONE, "incidents", "read", "UptimeIO: get an incident")
async def get_incident(request: web.Request) -> web.Response:
    return success(shown(await _context(request).incident_commands.get(request.match_info["id"])))


@route("PUT", ONE, "incidents", "update", "UptimeIO: update an incident's severity, title or message",
       body=UptimeIOUpdate)
async def update_incident(request: web.Request) -> web.Response:
    body = await read_json(request, UptimeIOUpdate)
    if body.regions is not UNSET:
        raise Invalid("regions cannot be set: they are the probe regions that saw the failure, recorded as "
                      "the incident opened", "regions")
    incident = await _context(request).incident_commands.update(request.match_info["id"], body,
                                                                _author(request, body.author))
    return success(shown(incident))


@route("DELETE", ONE, "incidents", "delete", "UptimeIO: delete an incident (refused: upstatd keeps incidents)")
async def delete_incident(request: web.Request) -> web.Response:
    incident = await _context(request).incident_commands.get(request.match_info["id"])  # a 404 first
    raise Conflict(f"upstatd keeps every incident for its history; close {incident.id} instead "
                   f"(PUT {BASE}/{incident.id}/status with status closed, once resolved)", "incident_kept")


@route("PUT", f"{ONE}/status", "incidents", "update",
       "UptimeIO: move an incident to a status (acknowledge, resolve, reopen, close)", body=StatusBody)
async def set_status(request: web.Request) -> web.Response:
    body = await read_json(request, StatusBody)
    incident = await _context(request).incident_commands.move(request.match_info["id"], None,
                                                              _author(request, body.author), body.message,
                                                              target=body.status)
    return success(shown(incident))


@route("POST", f"{ONE}/acknowledge", "incidents", "update", "UptimeIO: acknowledge an incident",
       body=TransitionBody)
async def acknowledge(request: web.Request) -> web.Response:
    body = await read_json(request, TransitionBody)
    incident = await _context(request).incident_commands.move(request.match_info["id"], "acknowledge",
                                                              _author(request, body.author), body.message)
    return success(shown(incident))


@route("GET", f"{ONE}/affected-checks", "incidents", "read", "UptimeIO: the monitors an incident affects")
async def affected_checks(request: web.Request) -> web.Response:
    affected = await _context(request).incident_commands.affected_checks(request.match_info["id"])
    data = []
    for item in msgspec.to_builtins(affected.data):
        del item["object"]
        item["check_id"] = item.pop("monitor_id")
        data.append(item)
    return success(data)


@route("POST", f"{ONE}/updates", "incidents", "update", "UptimeIO: add a comment to an incident's timeline",
       body=CommentBody, status=201)
async def add_update(request: web.Request) -> web.Response:
    body = await read_json(request, CommentBody)
    update = await _context(request).incident_commands.comment(request.match_info["id"], body.message,
                                                               _author(request, body.author))
    return success(update_shown(update), 201)


@route("GET", f"{ONE}/updates", "incidents", "read", "UptimeIO: an incident's timeline", query=UpdatesQuery)
async def list_updates(request: web.Request) -> web.Response:
    from upstatd.incidents.public import update_object
    query = read_query(request, UpdatesQuery)
    ctx = _context(request)
    incident = await ctx.incident_commands.get(request.match_info["id"])
    rows, total = await ctx.read_conn.call(lambda conn: store.updates_offset_page(
        conn, incident.id, descending=descending(query.sort_order), limit=query.limit, offset=query.offset))
    return success([update_shown(update_object(row, incident.id)) for row in rows],
                   pagination=paged(total, query.limit, query.offset))


# -- its own OpenAPI document ------------------------------------------------------------

_ERROR = {"type": "object", "required": ["success", "error"], "additionalProperties": False, "properties": {
    "success": {"const": False},
    "error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"enum": sorted(set(CODES.values()) | {"INTERNAL_ERROR"})},
        "message": {"type": "string"},
        "details": {"type": "object", "description": "`field`: the parameter at fault; `upstatd`: upstatd's own "
                                                     "type, code, param and request_id"}}}}}
_SUCCESS = {"type": "object", "required": ["success", "data"], "properties": {
    "success": {"const": True}, "data": {},
    "pagination": {"type": "object", "required": ["total", "page", "pageSize", "totalPages", "hasNext",
                                                  "hasPrevious"]}}}


def openapi_document() -> dict:
    """upstatd's generator (api/openapi.py) over this dialect's routes, in its words: the X-API-Key
    scheme, the `{success, data}` and error envelopes, no Upstat-Version nor Idempotency-Key."""
    from upstatd.api import openapi
    from upstatd.api.routes import ROUTES
    document = openapi.document([item for item in ROUTES if item.path.startswith(PREFIX + "/")])
    document["info"].update(title="upstatd: UptimeIO incidents API", description=(
        "UptimeIO's incidents API over upstatd's incidents (docs/dialect-uptimeio.md): base URL "
        f"`{PREFIX}`, `X-API-Key: <upstatd token>`, times in Unix milliseconds."))
    document["security"] = [{"apiKey": []}]
    components = document["components"]
    components["securitySchemes"] = {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                                                "description": "An upstatd API token (upst_…)"}}
    components["schemas"]["ErrorResponse"] = _ERROR
    components["schemas"].pop("ErrorDetail", None)
    del components["parameters"]
    for path, operations in document["paths"].items():
        for operation in operations.values():
            operation["parameters"] = [item for item in operation["parameters"] if "$ref" not in item]
            operation["responses"].pop("422", None)  # VALIDATION_ERROR is a 400 here
            for status, response in operation["responses"].items():
                response["headers"].pop("Idempotent-Replayed", None)
                if int(status) < 300 and path != f"{PREFIX}/openapi.json":  # the document: as it is
                    response["content"] = {"application/json": {"schema": _SUCCESS}}
    return document


@route("GET", f"{PREFIX}/openapi.json", "incidents", "read", "UptimeIO: this dialect's OpenAPI 3.1 document")
async def get_openapi(request: web.Request) -> web.Response:
    return respond(openapi_document())


# -- the key and the error envelope (api/envelopes.py: the rest is /api's middleware) ----------

async def authenticate(request: web.Request, context: Any) -> Any:
    """X-API-Key (UptimeIO's header), else Authorization: Bearer, holding an upstatd token."""
    key = request.headers.get("X-API-Key")
    if key is None:
        if "Authorization" in request.headers:
            return await context.authenticate(request)
        raise errors.unauthenticated("no API key: send the header X-API-Key: <upstatd API token>")
    if not key.strip():
        raise errors.unauthenticated("the X-API-Key header is empty: send X-API-Key: <upstatd API token>")
    return await context.token_of(key.strip())


def error_envelope(failure: errors.ApiError, request_id: str) -> tuple[int, dict]:
    message = failure.message
    if failure.code == "route_missing":  # not /api's words: this dialect's routes are elsewhere
        message = message.split(";")[0] + f"; the routes of this dialect begin with {BASE}"
    details: dict[str, Any] = {"field": failure.param} if failure.param else {}
    details["upstatd"] = {"type": failure.type, "code": failure.code, "param": failure.param,
                          "request_id": request_id}
    body = {"success": False, "error": {"code": CODES.get(failure.status, "INTERNAL_ERROR"),
                                        "message": message, "details": details}}
    return STATUSES.get(failure.status, failure.status), body


envelopes.register(PREFIX + "/", error_envelope, authenticate)
