"""UptimeGuard's `/v1` monitors API, as a thin adapter (docs/dialect-uptimeguard.md).

Each route maps UptimeGuard's fields onto the monitor commands' inputs, calls one
command (or one read through the store's list functions, as /api's lists do), and
maps upstatd's public shapes onto UptimeGuard's answer fields. Validation is the
commands'; only what UptimeGuard has and upstatd lacks is decided here:

- `type: "https"` is an http monitor; the answer says "https" again for an https URL.
- `regions`: upstatd's region names, each declared (api/dialects/regions.py). A monitor shows the
  regions it names (`[]`: the daemon's own region only).
- A second monitor on the same URL made through this dialect is MONITOR_ALREADY_EXISTS
  (monitors made here carry the metadata `made_through: uptimeguard`; /api has no such rule).
- Lists are `page`/`per_page` with `total`: numbered pages (store/numbered.py), newest first.
- Timestamps are ISO 8601 (UTC, `Z`), both ways.

Errors keep upstatd's envelope fields (`type`, `param`) and carry UptimeGuard's codes.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from upstatd.api import envelopes
from upstatd.api.dialects import regions as regions_in
from upstatd.api.bodies import future_ms, no_content, read_json, read_query, respond
from upstatd.api.errors import ApiError
from upstatd.api.routes import context, route
from upstatd.errors import Conflict, Malformed
from upstatd.incidents.public import incident_object
from upstatd.monitors.public import MonitorCreate, MonitorUpdate, monitor_object
from upstatd.shapes import UNSET, AlertChannels, Tags, Unset
from upstatd.store import incidents as incident_store
from upstatd.store import numbered, uptime

PREFIX = "/v1"
MADE_THROUGH = ("made_through", "uptimeguard")  # the metadata of a monitor made here
TYPES = {"http": "http", "https": "http", "tcp": "tcp", "icmp": "icmp"}  # UptimeGuard's -> upstatd's
# upstatd's incident severities -> UptimeGuard's two
SEVERITIES = {"critical": "critical", "major": "critical", "minor": "warning", "warning": "warning"}
WALK = 100  # rows per store page while walking a monitor's incidents


# -- errors ---------------------------------------------------------------------------------

def _code(failure: ApiError) -> str:
    """UptimeGuard's code for a refusal; the ones it has no code for keep upstatd's."""
    if failure.status == 401:
        return "INVALID_API_KEY"
    if failure.status == 429:
        return "RATE_LIMIT_EXCEEDED"
    if failure.code == "monitor_already_exists":
        return "MONITOR_ALREADY_EXISTS"
    if failure.status == 404 and failure.code == "resource_missing":
        return "MONITOR_NOT_FOUND"
    if failure.status in (400, 422) and failure.type == "invalid_request_error" and \
            failure.code not in ("route_missing", "method_not_allowed", "body_too_large"):
        return "VALIDATION_ERROR"
    return failure.code


def envelope(failure: ApiError, request_id: str) -> tuple[int, dict]:
    """`{"error": {"code", "message", "request_id"}}`, with upstatd's `type` and `param` too."""
    return failure.status, {"error": {"code": _code(failure), "message": failure.message,
                                      "request_id": request_id, "type": failure.type, "param": failure.param}}


envelopes.register(PREFIX + "/", envelope)


# -- time ---------------------------------------------------------------------------------------

def iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(value: str | None, param: str) -> int | None:
    """An ISO 8601 timestamp (a zone or `Z`; none: UTC) -> Unix seconds."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Malformed(f"{param} must be an ISO 8601 timestamp like 2025-01-14T09:32:17Z, got '{value[:60]}'",
                        param) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


# -- shapes ---------------------------------------------------------------------------------------

TypeIn = Literal["http", "https", "tcp", "icmp"]  # TYPES' keys
IsoTime = Annotated[str, msgspec.Meta(description="ISO 8601, e.g. 2025-01-14T09:32:17Z")]
Regions = Annotated[list[str], msgspec.Meta(description=(
    "upstatd's region names (docs/regions.md), each declared in the config; ignored while upstatd's monitor "
    "body has no regions field"))]


class UgMonitorCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    url: str
    type: TypeIn
    interval_seconds: int | float
    regions: Regions | Unset = UNSET
    tags: Tags | Unset = UNSET
    alert_channels: AlertChannels | Unset = UNSET


class UgMonitorUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | Unset = UNSET
    url: str | Unset = UNSET
    type: TypeIn | Unset = UNSET   # the same as now, or refused: the type cannot change
    interval_seconds: int | float | Unset = UNSET
    regions: Regions | Unset = UNSET
    tags: Tags | Unset = UNSET
    alert_channels: AlertChannels | Unset = UNSET


class UgPause(msgspec.Struct, forbid_unknown_fields=True):
    resume_at: IsoTime | None = None


class UgMonitorQuery(msgspec.Struct, forbid_unknown_fields=True):
    page: Annotated[int, msgspec.Meta(ge=1)] = 1
    per_page: Annotated[int, msgspec.Meta(ge=1, le=100)] = 25
    status: Literal["active", "paused", "deleted"] | None = None
    tag: str | None = None


class UgIncidentQuery(msgspec.Struct, forbid_unknown_fields=True):
    from_: IsoTime | None = msgspec.field(default=None, name="from")
    to: IsoTime | None = None
    severity: Literal["critical", "warning"] | None = None


class UgChannel(msgspec.Struct):
    id: str
    type: str | None


class UgMonitor(msgspec.Struct, kw_only=True):
    id: str
    name: str
    url: str
    type: str
    status: str
    current_state: str
    interval_seconds: int | float
    regions: list[str]
    tags: list[str]
    alert_channels: list[UgChannel]
    last_check_at: str | None
    created_at: str
    updated_at: str
    uptime_24h: float | None | Unset = UNSET  # in lists only, as UptimeGuard's list shows it


class UgMonitorList(msgspec.Struct):
    monitors: list[UgMonitor]
    total: int
    page: int
    per_page: int


class UgStatus(msgspec.Struct):
    monitor_id: str
    current_state: str
    uptime_24h: float | None
    uptime_7d: float | None
    uptime_30d: float | None
    last_check_at: str | None
    last_incident_at: str | None


class UgIncident(msgspec.Struct):
    id: str
    severity: str
    started_at: str
    resolved_at: str | None
    duration_seconds: float | None
    # the regions that saw it fail, joined with "," (UptimeGuard names one); null: the daemon alone probed it
    region: str | None


class UgIncidentList(msgspec.Struct):
    incidents: list[UgIncident]
    total: int


def ug_type(monitor: Any) -> str:
    if monitor.type == "http" and monitor.url.lower().startswith("https://"):
        return "https"
    return monitor.type


def ug_monitor(row: Any, listed: Any = None) -> UgMonitor:
    """upstatd's public Monitor -> UptimeGuard's monitor object."""
    shown = monitor_object(row)
    return UgMonitor(
        id=shown.id, name=shown.name, url=shown.url, type=ug_type(shown), status=shown.status,
        current_state=shown.current_state, interval_seconds=shown.interval_seconds, regions=regions_in.shown(row),
        tags=shown.tags, alert_channels=[UgChannel(item["id"], item["type"]) for item in shown.alert_channels or ()],
        last_check_at=iso(shown.last_check_at), created_at=iso(shown.created_at), updated_at=iso(shown.updated_at),
        uptime_24h=UNSET if listed is None else listed.uptime["24h"])


def ug_incident(incident: Any) -> UgIncident:
    shown = incident_object(incident)
    return UgIncident(shown.id, SEVERITIES.get(shown.severity, shown.severity), iso(shown.started_at),
                      iso(shown.resolved_at), shown.duration_seconds,
                      ",".join(shown.regions) if shown.regions else None)


def _type_in(given: str) -> str:
    return TYPES[given]


# -- reads ------------------------------------------------------------------------------------------

def _walk(page: Any, **filters: Any) -> Any:
    """Every row of a store list function, newest first, one store page at a time (a monitor's
    incidents: UptimeGuard answers them all, with their count)."""
    after = None
    while True:
        rows, has_more = page(limit=WALK, starting_after=after, **filters)
        yield from rows
        if not has_more or not rows:
            return
        after = rows[-1].id


def _monitor_page(conn: sqlite3.Connection, query: UgMonitorQuery, now_ms: int,
                  timelines: Any) -> tuple[list[tuple[Any, Any]], int]:
    """The page asked and the total of the matching monitors (a `deleted` monitor is gone: none)."""
    if query.status == "deleted":
        return [], 0
    rows, total = numbered.monitor_page(conn, number=query.page, size=query.per_page, status=query.status,
                                        tag=query.tag, descending=True)
    figures = uptime.listed(conn, rows, now_ms, "monitor", timelines)
    return [(row, figures[row.seq]) for row in rows], total


def _made_here_on(conn: sqlite3.Connection, url: str) -> Any:
    """A monitor made through this dialect on `url`, or None."""
    key, value = MADE_THROUGH
    rows, _ = numbered.monitor_page(conn, number=1, size=1000, urls=(url,))  # a URL's monitors: a few
    return next((row for row in rows if row.metadata.get(key) == value), None)


# -- routes -------------------------------------------------------------------------------------------

MONITORS = f"{PREFIX}/monitors"
ONE = f"{MONITORS}/{{id}}"


@route("POST", MONITORS, "monitors", "create",
       "UptimeGuard: create a monitor (type https is an http monitor)",
       body=UgMonitorCreate, response=UgMonitor, status=201)
async def create_monitor(request: web.Request) -> web.Response:
    ctx = context(request)
    given = await read_json(request, UgMonitorCreate)
    existing = await ctx.read_conn.call(_made_here_on, given.url)
    if existing is not None:
        raise Conflict(f"a monitor made through /v1 already checks {given.url}: {existing.id}",
                       "monitor_already_exists", "url")
    body = MonitorCreate(type=_type_in(given.type), url=given.url, name=given.name,
                         interval_seconds=given.interval_seconds, tags=given.tags,
                         alert_channels=given.alert_channels, metadata=dict([MADE_THROUGH]),
                         **regions_in.passed(given.regions, regions_in.declared(ctx.config)))
    changed = await ctx.monitor_commands.create(body)
    return respond(ug_monitor(changed.row), status=201)


@route("GET", MONITORS, "monitors", "read",
       "UptimeGuard: list monitors, newest first, page by page, with their uptime over 24 h",
       query=UgMonitorQuery, response=UgMonitorList)
async def list_monitors(request: web.Request) -> web.Response:
    ctx = context(request)
    query = read_query(request, UgMonitorQuery)
    found, total = await ctx.read_conn.call(_monitor_page, query, ctx.now_ms(), ctx.timelines)
    return respond(UgMonitorList([ug_monitor(row, listed) for row, listed in found], total, query.page,
                                 query.per_page))


@route("GET", ONE, "monitors", "read", "UptimeGuard: retrieve a monitor", response=UgMonitor)
async def retrieve_monitor(request: web.Request) -> web.Response:
    return respond(ug_monitor(await context(request).monitor_commands.get(request.match_info["id"])))


@route("PUT", ONE, "monitors", "update", "UptimeGuard: update a monitor: only the fields given change",
       body=UgMonitorUpdate, response=UgMonitor)
async def update_monitor(request: web.Request) -> web.Response:
    given = await read_json(request, UgMonitorUpdate)
    body = MonitorUpdate(type=UNSET if given.type is UNSET else _type_in(given.type), url=given.url,
                         name=given.name, interval_seconds=given.interval_seconds, tags=given.tags,
                         alert_channels=given.alert_channels,
                         **regions_in.passed(given.regions, regions_in.declared(context(request).config)))
    changed = await context(request).monitor_commands.update(request.match_info["id"], body)
    return respond(ug_monitor(changed.row))


@route("DELETE", ONE, "monitors", "delete", "UptimeGuard: delete a monitor and its history", status=204)
async def delete_monitor(request: web.Request) -> web.Response:
    await context(request).monitor_commands.delete(request.match_info["id"])
    return no_content()


@route("GET", f"{ONE}/status", "monitors", "read",
       "UptimeGuard: current state and uptime over 24 h / 7 d / 30 d", response=UgStatus)
async def monitor_status(request: web.Request) -> web.Response:
    status = await context(request).monitor_commands.status(request.match_info["id"])
    return respond(UgStatus(status.monitor_id, status.current_state, status.uptime_24h, status.uptime_7d,
                            status.uptime_30d, iso(status.last_check.created_at) if status.last_check else None,
                            iso(status.last_incident_at)))


@route("GET", f"{ONE}/incidents", "incidents", "read",
       "UptimeGuard: a monitor's incidents, newest first; from/to (ISO 8601): those that overlap the window",
       query=UgIncidentQuery, response=UgIncidentList)
async def monitor_incidents(request: web.Request) -> web.Response:
    ctx = context(request)
    query = read_query(request, UgIncidentQuery)
    window = {"from_": unix(query.from_, "from"), "to": unix(query.to, "to")}
    monitor = await ctx.monitor_commands.get(request.match_info["id"])

    def read(conn: sqlite3.Connection) -> list[Any]:
        return list(_walk(lambda **paging: incident_store.monitor_page(conn, monitor.id, **window, **paging)))

    found = [ug_incident(incident) for incident in await ctx.read_conn.call(read)]
    if query.severity is not None:
        found = [incident for incident in found if incident.severity == query.severity]
    return respond(UgIncidentList(found, len(found)))


@route("POST", f"{ONE}/pause", "monitors", "update",
       "UptimeGuard: pause a monitor; with resume_at (ISO 8601) it resumes by itself then",
       body=UgPause, response=UgMonitor)
async def pause_monitor(request: web.Request) -> web.Response:
    ctx = context(request)
    given = await read_json(request, UgPause)
    resume_at_ms = future_ms(unix(given.resume_at, "resume_at"), ctx.now_ms(), "resume_at")
    changed = await ctx.monitor_commands.pause(request.match_info["id"], resume_at_ms)
    return respond(ug_monitor(changed.row))


# -- its own OpenAPI document -------------------------------------------------------------------------

from upstatd.api.routes.meta import public_route  # noqa: E402  (after the routes: the document lists them)

_document: list[bytes] = []


@public_route("GET", f"{PREFIX}/openapi.json", "The OpenAPI 3.1 document of the UptimeGuard dialect (/v1)")
async def get_openapi(request: web.Request) -> web.Response:
    if not _document:
        from upstatd.api import openapi
        from upstatd.api.routes import ROUTES
        from upstatd.api.routes.meta import PUBLIC_ROUTES
        own = [item for item in (*ROUTES, *PUBLIC_ROUTES) if item.path.startswith(PREFIX + "/")]
        document = openapi.document([item for item in own if item.resource],
                                    [item for item in own if not item.resource])
        document["info"]["title"] = "upstatd: the UptimeGuard dialect (/v1)"
        document["info"]["description"] = (
            "UptimeGuard's monitors API answered by upstatd (docs/dialect-uptimeguard.md): ISO 8601 "
            "timestamps, page/per_page lists with total, errors as {error: {code, message, request_id}} "
            "with UptimeGuard's codes (and upstatd's type and param).")
        _document.append(msgspec.json.encode(document))
    return web.Response(body=_document[0], content_type="application/json")
