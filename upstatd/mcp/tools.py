"""The MCP tools: one row each, every one the twin of an API route.

A tool names the route it mirrors (`method`, `path`), and takes from the route
table what the route declares, so the two cannot drift apart:
- the permission (resource, action): the token must hold it for the tool to be
  listed or called;
- the arguments: the route's query Struct (lists, the SLA window) or body
  Struct (create, pause, acknowledge, ...), its JSON Schema the tool's input
  schema, plus the path's ids as required strings (`monitor_id`, ...).

`run(call)` does what the route's handler does: the same command, the same
serializer (the API's answer is the tool's result). Nothing here decides
anything the API does not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any, NamedTuple

import msgspec

from upstatd.api import pagination
from upstatd.api.bodies import future_ms
from upstatd.api.routes import ROUTES, Route
from upstatd.api.routes.incidents import author_of
from upstatd.incidents.public import incident_object
from upstatd.monitors.public import monitor_object
from upstatd.oncall import public as on_call
from upstatd.runbooks.public import incident_detail
from upstatd.status_pages.public import page_object, report_object
from upstatd.store import heartbeats as heartbeat_store
from upstatd.store import incidents as incident_store
from upstatd.store import monitors as monitor_store
from upstatd.store import status_pages as page_store
from upstatd.store import uptime

# the route modules whose routes the tools mirror register them when imported
import upstatd.api.routes.heartbeats  # noqa: E402,F401
import upstatd.api.routes.monitors  # noqa: E402,F401
import upstatd.api.routes.on_call  # noqa: E402,F401
import upstatd.api.routes.status_pages  # noqa: E402,F401


class Call(NamedTuple):
    """One tool call: the API context, the caller's token, the path's ids, the arguments
    as the route's Struct (None when the route takes none)."""
    context: Any
    token: Any
    ids: tuple[str, ...]
    given: Any


class Tool(NamedTuple):
    name: str
    description: str       # for an agent: what it does and what it returns
    method: str            # the API route it mirrors
    path: str
    run: Callable[[Call], Awaitable[Any]]
    ids: tuple[str, ...] = ()  # the path's {id}s, in order, as argument names

    @property
    def route(self) -> Route:
        return route_of(self.method, self.path)

    @property
    def permission(self) -> tuple[str, str]:
        return self.route.resource, self.route.action

    @property
    def arguments(self) -> Any:
        """The Struct the arguments (besides the ids) decode into: the route's query or body."""
        return self.route.query if self.method == "GET" else self.route.body

    @property
    def writes(self) -> bool:
        return self.method != "GET"


@cache  # the table is complete once the route modules imported above have registered theirs
def route_of(method: str, path: str) -> Route:
    for item in ROUTES:
        if item.method == method and item.path == path:
            return item
    raise LookupError(f"no API route {method} {path} (an MCP tool mirrors one)")


# -- what the tools do: each the same command and serializer as its route -------------------

def _listing(page: Callable[..., Any], show: Callable[[Any, Any], Any], url: str, timed: bool = False):
    """A list route's page: `page(conn, **query)`, each row as `show(context, row)`."""
    async def run(call: Call) -> Any:
        context = call.context
        at = {"now_ms": context.now_ms(), "timelines": context.timelines} if timed else {}
        found, has_more = await pagination.fetch(context.read_conn, page, call.given, **at)
        return pagination.envelope([show(context, row) for row in found], has_more, url)
    return run


async def _get_monitor(call: Call) -> Any:
    return monitor_object(await call.context.monitor_commands.get(call.ids[0]))


async def _monitor_sla(call: Call) -> Any:
    return await call.context.monitor_commands.sla(call.ids[0], call.given.from_, call.given.to)


async def _create_monitor(call: Call) -> Any:
    return monitor_object((await call.context.monitor_commands.create(call.given)).row)


async def _pause_monitor(call: Call) -> Any:
    resume_at_ms = future_ms(call.given.resume_at, call.context.now_ms(), "resume_at")
    return monitor_object((await call.context.monitor_commands.pause(call.ids[0], resume_at_ms)).row)


async def _resume_monitor(call: Call) -> Any:
    return monitor_object((await call.context.monitor_commands.resume(call.ids[0])).row)


async def _get_heartbeat(call: Call) -> Any:
    commands = call.context.heartbeat_commands
    return commands.serialize(await commands.get(call.ids[0]))


async def _heartbeat_sla(call: Call) -> Any:
    return await call.context.heartbeat_commands.sla(call.ids[0], call.given.from_, call.given.to)


async def _get_incident(call: Call) -> Any:
    context = call.context
    incident = await context.incident_commands.get(call.ids[0])
    return incident_detail(incident_object(incident), await context.runbook_commands.for_incident(incident.id))


async def _create_incident(call: Call) -> Any:
    body = call.given
    return incident_object(await call.context.incident_commands.create(body, author_of(call.token, body.author)))


def _move(action: str):
    async def run(call: Call) -> Any:
        body = call.given
        incident = await call.context.incident_commands.move(call.ids[0], action, author_of(call.token, body.author),
                                                             body.message)
        return incident_object(incident)
    return run


async def _escalate_incident(call: Call) -> Any:
    author = author_of(call.token, call.given.author)
    return incident_object(await call.context.incident_commands.escalate(call.ids[0], author))


async def _comment_on_incident(call: Call) -> Any:
    body = call.given
    return await call.context.incident_commands.comment(call.ids[0], body.message, author_of(call.token, body.author))


async def _get_status_page(call: Call) -> Any:
    return page_object(await call.context.status_page_commands.get(call.ids[0]))


async def _list_status_reports(call: Call) -> Any:
    context = call.context
    page = await context.status_page_commands.get(call.ids[0])
    filters = pagination.values(call.given)
    found, has_more = await context.read_conn.call(lambda conn: page_store.reports_page(conn, page.seq, **filters))
    return pagination.envelope([report_object(row, page.id) for row in found], has_more,
                               f"/api/status-pages/{page.id}/reports")


def _schedules_page(conn: Any, now_ms: int, timelines: Any, **query: Any) -> Any:
    return on_call.views_page(conn, now_ms / 1000, **query)


_LIST = ("A page of at most `limit` (1-100, default 10), newest first; pass the last id as `starting_after` for "
         "the next page while `has_more` is true.")

TOOLS: tuple[Tool, ...] = (
    Tool("list_monitors", "List monitors (HTTP, TCP, ICMP, DNS, TLS checks) with their current_state (up, down, "
         "degraded, pending, maintenance), status (active, paused) and uptime over 24 h / 7 d / 30 d. Filter by "
         "status, current_state, type, tag, group_id. " + _LIST,
         "GET", "/api/monitors",
         _listing(uptime.with_figures(monitor_store.list_page), lambda context, item: monitor_object(*item),
                  "/api/monitors", timed=True)),
    Tool("get_monitor", "One monitor by id (mon_...): its target url, interval, state, last check and settings.",
         "GET", "/api/monitors/{id}", _get_monitor, ("monitor_id",)),
    Tool("monitor_availability", "A monitor's availability (SLA) over a window (`from`/`to`, Unix seconds; "
         "default the last 30 days, at most 400): availability percent, downtime, incidents and average "
         "response time, in all and per UTC day.",
         "GET", "/api/monitors/{id}/sla", _monitor_sla, ("monitor_id",)),
    Tool("create_monitor", "Create a monitor: name, type (http, tcp, icmp, dns, tls), url, interval_seconds, "
         "and the type's options block; it is probed within a second. Returns the monitor.",
         "POST", "/api/monitors", _create_monitor),
    Tool("pause_monitor", "Pause a monitor (no probes, no alerts); with `resume_at` (Unix seconds) it resumes "
         "by itself then. Returns the monitor.",
         "POST", "/api/monitors/{id}/pause", _pause_monitor, ("monitor_id",)),
    Tool("resume_monitor", "Resume a paused monitor: probed within a second, then on its interval. Returns the "
         "monitor.", "POST", "/api/monitors/{id}/resume", _resume_monitor, ("monitor_id",)),
    Tool("list_heartbeats", "List heartbeats (cron-job and scheduled-task check-ins) with their current_state "
         "(new, up, late, down), last ping and next expected ping. " + _LIST,
         "GET", "/api/heartbeats",
         _listing(uptime.with_figures(heartbeat_store.list_page, "heartbeat"),
                  lambda context, item: context.heartbeat_commands.serialize(*item), "/api/heartbeats",
                  timed=True)),
    Tool("get_heartbeat", "One heartbeat by id (hbt_...): its schedule, grace, state, last ping and ping_url.",
         "GET", "/api/heartbeats/{id}", _get_heartbeat, ("heartbeat_id",)),
    Tool("heartbeat_availability", "A heartbeat's availability over a window (`from`/`to`, Unix seconds; default "
         "the last 30 days, at most 400): the share of time it was not down (late counts as up, paused time is "
         "left out), downtime, number and length of incidents.",
         "GET", "/api/heartbeats/{id}/sla", _heartbeat_sla, ("heartbeat_id",)),
    Tool("list_incidents", "List incidents with their status (open, acknowledged, resolved, closed), severity, "
         "title, error_message and affected monitors. Filter by status, severity, monitor_id, source. " + _LIST,
         "GET", "/api/incidents",
         _listing(incident_store.list_page, lambda context, incident: incident_object(incident), "/api/incidents")),
    Tool("get_incident", "One incident by id (inc_...), with the runbooks that apply to it and their steps done.",
         "GET", "/api/incidents/{id}", _get_incident, ("incident_id",)),
    Tool("create_incident", "Open an incident by hand (source manual): title, severity, optional message and "
         "affected monitor ids. Returns the incident.",
         "POST", "/api/incidents", _create_incident),
    Tool("acknowledge_incident", "Acknowledge an open incident: someone is on it (escalation stops). `author` "
         "defaults to the token's name. Returns the incident.",
         "POST", "/api/incidents/{id}/acknowledge", _move("acknowledge"), ("incident_id",)),
    Tool("escalate_incident", "Escalate an open incident now: fire the next step of its escalation policy. "
         "Returns the incident.", "POST", "/api/incidents/{id}/escalate", _escalate_incident, ("incident_id",)),
    Tool("comment_on_incident", "Add a comment (`message`) to an incident's timeline. Returns the timeline entry.",
         "POST", "/api/incidents/{id}/updates", _comment_on_incident, ("incident_id",)),
    Tool("resolve_incident", "Resolve an open or acknowledged incident, with an optional `message`. Returns the "
         "incident.", "POST", "/api/incidents/{id}/resolve", _move("resolve"), ("incident_id",)),
    Tool("who_is_on_call", "List on-call schedules, each with `current`: who is on call now, from which layer "
         "or override, until the next handoff. " + _LIST,
         "GET", "/api/on-call",
         _listing(_schedules_page, lambda context, shown: on_call.schedule_object(shown, context.clock.time()),
                  "/api/on-call", timed=True)),
    Tool("list_status_pages", "List public status pages (slug, title, published). " + _LIST,
         "GET", "/api/status-pages",
         _listing(page_store.list_page, lambda context, row: page_object(row), "/api/status-pages")),
    Tool("get_status_page", "One status page by id (stp_...): its slug, title, sections settings (never its "
         "password).", "GET", "/api/status-pages/{id}", _get_status_page, ("status_page_id",)),
    Tool("list_status_reports", "A status page's reports (the public incident notices) with their updates; "
         "filter by status or active. " + _LIST,
         "GET", "/api/status-pages/{id}/reports", _list_status_reports, ("status_page_id",)),
)

BY_NAME = {tool.name: tool for tool in TOOLS}


@cache
def input_schema(tool: Tool) -> dict[str, Any]:
    """The JSON Schema of the tool's arguments: the route's Struct as msgspec describes it
    (the OpenAPI document's schema too), its definitions kept under $defs, plus the ids."""
    arguments = tool.arguments
    schema: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
    if arguments is not None:
        (top,), components = msgspec.json.schema_components([arguments], ref_template="#/$defs/{name}")
        name = top["$ref"].rsplit("/", 1)[-1]
        schema.update(components.pop(name))
        schema.pop("title", None)
        if components:
            schema["$defs"] = components
    ids = {name: {"type": "string", "description": f"The {name.removesuffix('_id').replace('_', ' ')}'s id"}
           for name in tool.ids}
    schema["properties"] = {**ids, **schema.get("properties", {})}
    required = [*tool.ids, *schema.pop("required", [])]
    if required:
        schema["required"] = required
    return schema
