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

import sqlite3
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from upstatd import metadata
from upstatd.api import pagination
from upstatd.api.bodies import MAX_TIMESTAMP, read_json, read_query, respond
from upstatd.api.errors import conflict, invalid, not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import route
from upstatd.api.routes.monitors import Check, check_object
from upstatd.ids import parse_seq_id
from upstatd.incidents import lifecycle
from upstatd.incidents.lifecycle import SEVERITIES, STATUSES, Refused
from upstatd.store import heartbeats as heartbeat_store
from upstatd.store import incidents as store
from upstatd.store import monitors as monitor_store
from upstatd.store import uptime as figures
from upstatd.store.incidents import Incident

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
SOURCES = ("system", "manual")
TYPES = (*dict.fromkeys(lifecycle.TYPES.values()), "manual")
MAX_AFFECTED = 100
FAILED_CHECKS = 20  # per monitor, newest first, in GET .../affected-checks

Severity = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SEVERITIES)})]
Status = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(STATUSES)})]
Source = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SOURCES)})]
IncidentType = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(TYPES)})]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Message = Annotated[str, msgspec.Meta(max_length=5000)]
Author = Annotated[str, msgspec.Meta(min_length=1, max_length=100,
                                     description="Who made the change; default: the token's name")]
Timestamp = pagination.Timestamp


# -- shapes ---------------------------------------------------------------------------

class IncidentObject(msgspec.Struct):
    id: str
    object: Literal["incident"]
    status: Status
    severity: Severity
    type: str
    source: Source
    title: str
    error_message: str | None
    affected_monitor_ids: list[str]
    started_at: int
    acknowledged_at: int | None
    acknowledged_by: str | None
    resolved_at: int | None
    closed_at: int | None
    duration_seconds: float | None
    metadata: dict[str, str]
    created_at: int
    updated_at: int


class IncidentUpdate(msgspec.Struct):
    id: str
    object: Literal["incident_update"]
    incident_id: str
    kind: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(store.UPDATE_KINDS)})]
    status: Status
    message: str | None
    author: str
    created_at: int


class AffectedCheck(msgspec.Struct):
    object: Literal["affected_check"]
    monitor_id: str
    kind: Literal["monitor", "heartbeat"]
    name: str | None             # null: the monitor or heartbeat was deleted since
    current_state: str | None
    failed_checks: list[Check]   # monitors: failed checks during the incident, newest first (at most 20)


class AffectedChecks(msgspec.Struct):
    object: Literal["list"]
    data: list[AffectedCheck]
    url: str


class IncidentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    severity: Severity = "major"
    type: IncidentType = "manual"
    error_message: Message | None = None
    affected_monitor_ids: list[str] = []
    metadata: metadata.Metadata | Unset = UNSET
    message: Message | None = None    # the first timeline entry's text
    author: Author | None = None


class IncidentPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title | Unset = UNSET
    severity: Severity | Unset = UNSET
    message: Message | None | Unset = UNSET         # the incident's message (error_message)
    error_message: Message | None | Unset = UNSET   # the same, by its field name
    metadata: metadata.Metadata | Unset = UNSET
    author: Author | None = None


class TransitionBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message: Message | None = None   # shown on the timeline entry
    author: Author | None = None


class StatusBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: Status
    message: Message | None = None
    author: Author | None = None


class CommentBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
    author: Author | None = None


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

def _context(request: web.Request) -> Any:
    from upstatd.api.server import CONTEXT
    return request.app[CONTEXT]


def _author(request: web.Request, given: str | None) -> str:
    if given:
        return given
    from upstatd.api.server import TOKEN
    token = request.get(TOKEN)
    return getattr(token, "name", None) or "api"


def _choice(value: str | None, options: tuple, param: str) -> None:
    if value is not None and value not in options:
        raise invalid(f"{param} must be one of {', '.join(options)}, got '{value}'", param)


def _refused(exc: Refused, param: str | None = None) -> Exception:
    allowed = ", ".join(exc.allowed) if exc.allowed else "none: closed is final"
    return conflict(f"the incident is {exc.current}; it cannot become {exc.wanted} from there "
                    f"(allowed: {allowed})", "incident_transition_invalid", param)


def _known_subjects(conn: sqlite3.Connection, ids: list[str]) -> None:
    if len(ids) > MAX_AFFECTED:
        raise invalid(f"affected_monitor_ids can hold at most {MAX_AFFECTED} ids, got {len(ids)}",
                      "affected_monitor_ids")
    for index, subject in enumerate(ids):
        param = f"affected_monitor_ids.{index}"
        if subject.startswith("mon_"):
            found = monitor_store.get(conn, subject)
        elif subject.startswith("hbt_"):
            found = heartbeat_store.get(conn, subject)
        else:
            raise invalid(f"'{subject[:60]}' is not a monitor or heartbeat id (mon_… or hbt_…)", param)
        if found is None:
            raise invalid(f"no monitor or heartbeat with id '{subject[:60]}'", param)




def _listed(conn: sqlite3.Connection, query: ListQuery, where: list[str], args: list,
                  url: str) -> web.Response:
    rows, has_more = pagination.page(conn, store.TABLE, store.COLUMNS, query, " AND ".join(where),
                                           tuple(args))
    found = store.with_affected(conn, rows)
    return respond(pagination.envelope([store.public(item) for item in found], has_more, url))


def _service(context: Any) -> Any:
    if context.incidents is None:  # pragma: no cover - the daemon always sets it
        raise RuntimeError("no incident service")
    return context.incidents


# -- routes -------------------------------------------------------------------------------

@route("POST", "/api/incidents", "incidents", "create", "Open an incident by hand (source manual)",
       body=IncidentCreate, response=IncidentObject, status=201)
async def create(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, IncidentCreate)
    _choice(body.severity, SEVERITIES, "severity")
    _choice(body.type, TYPES, "type")
    affected = list(dict.fromkeys(body.affected_monitor_ids))
    await context.read_conn.call(_known_subjects, affected)
    labels = {} if body.metadata is UNSET else metadata.merge({}, metadata.validate(body.metadata))
    incident = await _service(context).create(
        {"severity": body.severity, "type": body.type, "title": body.title, "error_message": body.error_message,
         "affected": affected, "metadata": labels, "message": body.message}, _author(request, body.author))
    return respond(store.public(incident), status=201)


@route("GET", "/api/incidents", "incidents", "read", "List incidents, newest first", query=IncidentListQuery,
       response=IncidentList)
async def list_incidents(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, IncidentListQuery)
    where, args = ["1"], []
    for param, options in (("status", STATUSES), ("severity", SEVERITIES), ("source", SOURCES)):
        value = getattr(query, param)
        _choice(value, options, param)
        if value is not None:
            where.append(f"{param} = ?")
            args.append(value)
    if query.monitor_id is not None:
        where.append("seq IN (SELECT incident_seq FROM incident_monitors WHERE monitor_id = ?)")
        args.append(query.monitor_id)
    pagination.created_range(query, where, args)
    if query.since is not None:
        where.append("updated_at >= ?")
        args.append(query.since * 1000)
    return await context.read_conn.call(_listed, query, where, args, "/api/incidents")


@route("GET", "/api/incidents/{id}", "incidents", "read", "Retrieve an incident", response=IncidentObject)
async def retrieve(request: web.Request) -> web.Response:
    context = _context(request)
    incident_id = request.match_info["id"]
    incident = await context.read_conn.call(store.get, incident_id)
    if incident is None:
        raise not_found(f"no incident with id '{incident_id}'", "id")
    tracked = _service(context).by_subject.get(incident.subject_id or "")
    if tracked is not None and tracked.id == incident.id:
        incident = tracked  # a change queued a moment ago, not committed yet
    return respond(store.public(incident))


@route("PATCH", "/api/incidents/{id}", "incidents", "update",
       "Change an incident's severity, title, message or metadata", body=IncidentPatch, response=IncidentObject)
async def update(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, IncidentPatch)
    if body.severity is not UNSET:
        _choice(body.severity, SEVERITIES, "severity")
    text = body.message
    if body.error_message is not UNSET:
        if text is not UNSET and text != body.error_message:
            raise invalid("message and error_message are the same field; give one", "error_message")
        text = body.error_message
    patch = None if body.metadata is UNSET else metadata.validate(body.metadata)

    def change(incident: Incident) -> tuple[Incident, str | None]:
        changes: dict[str, Any] = {}
        notes = []
        if body.severity is not UNSET and body.severity != incident.severity:
            changes["severity"] = body.severity
            notes.append(f"severity {incident.severity} -> {body.severity}")
        if body.title is not UNSET and body.title != incident.title:
            changes["title"] = body.title
            notes.append(f"title '{incident.title}' -> '{body.title}'")
        if text is not UNSET and text != incident.error_message:
            changes["error_message"] = text
            notes.append("message changed")
        if patch is not None:
            merged = metadata.merge(incident.metadata, patch)
            if merged != incident.metadata:
                changes["metadata"] = merged
                notes.append("metadata changed")
        if not changes:
            return incident, None
        return incident.replace(**changes), "; ".join(notes)

    incident = await _service(context).update(request.match_info["id"], change, _author(request, body.author))
    return respond(store.public(incident))


def _transition(action: str, summary: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        context = _context(request)
        body = await read_json(request, TransitionBody)
        try:
            incident = await _service(context).act(request.match_info["id"], action,
                                                   _author(request, body.author), body.message)
        except Refused as exc:
            raise _refused(exc) from None
        return respond(store.public(incident))

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
    context = _context(request)
    body = await read_json(request, StatusBody)
    _choice(body.status, STATUSES, "status")
    try:
        incident = await _service(context).act(request.match_info["id"], None, _author(request, body.author),
                                                body.message, target=body.status)
    except Refused as exc:
        raise _refused(exc, "status") from None
    return respond(store.public(incident))


@route("POST", "/api/incidents/{id}/updates", "incidents", "update", "Comment on an incident (its timeline)",
       body=CommentBody, response=IncidentUpdate, status=201)
async def comment(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, CommentBody)
    _, update = await _service(context).comment(request.match_info["id"], body.message,
                                                _author(request, body.author))
    return respond(update, status=201)


@route("GET", "/api/incidents/{id}/updates", "incidents", "read",
       "An incident's timeline: comments and every change, newest first", query=ListQuery,
       response=IncidentUpdateList)
async def list_updates(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    incident_id = request.match_info["id"]
    query = read_query(request, ListQuery)
    pagination.check(query)
    rows = await conn.execute_fetchall("SELECT seq FROM incidents WHERE id = ?", (incident_id,))
    if not rows:
        raise not_found(f"no incident with id '{incident_id}'", "id")
    incident_seq = rows[0][0]

    def cursor_seq(db: sqlite3.Connection, cursor: str) -> int | None:
        seq = parse_seq_id("iup", cursor)
        found = seq is not None and db.execute(
            "SELECT 1 FROM incident_updates WHERE seq = ? AND incident_seq = ?", (seq, incident_seq)).fetchall()
        return seq if found else None

    page, has_more = await conn.call(pagination.page, "incident_updates", store.UPDATE_COLUMNS, query,
                                           "incident_seq = ?", (incident_seq,), cursor_seq)
    return respond(pagination.envelope([store.update_object(row, incident_id) for row in page], has_more,
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
        rows = await conn.execute_fetchall(
            f"SELECT {figures.CHECK_COLUMNS} FROM checks WHERE monitor_seq = ? AND ok = 0 "
            f"AND created_at >= ? AND created_at <= ? ORDER BY seq DESC LIMIT ?",
            (monitor.seq, incident.started_at - _lead(monitor), until, FAILED_CHECKS))
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
    context = _context(request)
    conn = context.read_conn
    monitor_id = request.match_info["id"]
    query = read_query(request, MonitorIncidentsQuery)
    pagination.check(query)
    if await conn.call(monitor_store.get, monitor_id) is None:
        raise not_found(f"no monitor with id '{monitor_id}'", "id")
    where = ["seq IN (SELECT incident_seq FROM incident_monitors WHERE monitor_id = ?)"]
    args: list = [monitor_id]
    if query.from_ is not None and query.to is not None and query.to < query.from_:
        raise invalid(f"to ({query.to}) is before from ({query.from_})", "to")
    if query.from_ is not None:  # still going then, or resolved after it began
        where.append("(resolved_at IS NULL OR resolved_at >= ?)")
        args.append(query.from_ * 1000)
    if query.to is not None:
        where.append("started_at < ?")
        args.append((query.to + 1) * 1000)
    return await conn.call(_listed, query, where, args, f"/api/monitors/{monitor_id}/incidents")
