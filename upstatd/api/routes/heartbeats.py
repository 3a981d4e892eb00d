"""/api/heartbeats: heartbeats, their pings and their status.

- Like monitors: one from the config file (`managed_by: "config"`) can be read,
  paused and resumed over the API; changing or deleting it answers 409 naming
  the file and key. Bodies are validated by the file's own `parse_heartbeat`.
- The schedule is exactly one of `period_seconds`, `cron`, `oncalendar`; an
  update that sets one replaces the other.
- Every change reaches the running heartbeat when its transaction commits.
- `ping_url` carries the ping UUID: the URL is what a crontab needs, so it is
  shown on every read (a ping token can only report a job's runs).
"""

from __future__ import annotations

import codecs

from aiohttp import web

from upstatd.api import openapi, pagination
from upstatd.api.bodies import read_query, respond
from upstatd.api.errors import invalid, not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import Resource, route
from upstatd.heartbeats import commands
from upstatd.heartbeats.deadlines import KINDS as PING_KINDS
from upstatd.heartbeats.deadlines import STATES
from upstatd.api.routes.monitors import SlaQuery
from upstatd.heartbeats.public import (MANAGERS, STATUSES, Heartbeat, HeartbeatCreate, HeartbeatSla,
                                       HeartbeatStatus, HeartbeatUpdate, Ping, _enum, ping_object)
from upstatd.heartbeats.schedule import KINDS as SCHEDULE_KINDS
from upstatd.store import heartbeats as store
from upstatd.store import uptime

# Bounded: a bound outside SQLite's 64-bit integers (times 1000) would be a 500, not a 400.
Timestamp = pagination.Timestamp


# -- shapes -----------------------------------------------------------------------------

class HeartbeatListQuery(ListQuery, forbid_unknown_fields=True):
    status: _enum(STATUSES) | None = None
    current_state: _enum(STATES) | None = None
    schedule: _enum(SCHEDULE_KINDS) | None = None
    tag: str | None = None
    slug: str | None = None
    managed_by: _enum(MANAGERS) | None = None
    group_id: str | None = None
    service_id: str | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class PingListQuery(ListQuery, forbid_unknown_fields=True):
    kind: _enum(PING_KINDS) | None = None
    rid: str | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


HeartbeatList = pagination.list_of(Heartbeat, "HeartbeatList")
PingList = pagination.list_of(Ping, "PingList")


# -- routes ----------------------------------------------------------------------------------

heartbeats = Resource("/api/heartbeats", "heartbeats", lambda context: context.heartbeat_commands,
                      lambda context, row: context.heartbeat_commands.serialize(row))
heartbeats.create("Create a heartbeat; its ping_url is ready at once", body=HeartbeatCreate, response=Heartbeat)
heartbeats.list("List heartbeats, newest first, each with its stats: uptime over 24 h / 7 d / 30 d",
                query=HeartbeatListQuery, response=HeartbeatList, page=uptime.with_figures(store.list_page, "heartbeat"),
                show=lambda context, item: context.heartbeat_commands.serialize(*item), timed=True)
heartbeats.retrieve("Retrieve a heartbeat", response=Heartbeat)
heartbeats.update("Update a heartbeat: only the fields given change; metadata merges", body=HeartbeatUpdate,
                  response=Heartbeat)
heartbeats.delete("Delete a heartbeat with its pings")
heartbeats.children("pings", "List a heartbeat's pings, newest first", query=PingListQuery, response=PingList,
                    page=store.pings_page, show=ping_object)
heartbeats.view("status", "Current state, last ping, next expected ping, when it turns late and down, last "
                "run's duration", commands.HeartbeatCommands.status, response=HeartbeatStatus)
heartbeats.action("pause", "Pause a heartbeat (config ones too): no alarms until it is resumed or, unless "
                  "manual_resume, pinged", commands.HeartbeatCommands.pause, response=Heartbeat)
heartbeats.action("resume", "Resume a paused heartbeat: it is `new` again until its next ping",
                  commands.HeartbeatCommands.resume, response=Heartbeat)


@route("GET", "/api/heartbeats/{id}/sla", "heartbeats", "read",
       "Availability, downtime and incidents over a window of up to 400 days (default: the last 30), "
       "counted as a monitor's /sla counts them: late is still up, paused time is left out", query=SlaQuery,
       response=HeartbeatSla)
async def sla(request: web.Request) -> web.Response:
    query = read_query(request, SlaQuery)
    return respond(await _context(request).heartbeat_commands.sla(request.match_info["id"], query.from_, query.to))


PING_NUMBER = {"type": "string", "pattern": "^[0-9]{1,18}$", "description": "The ping's number, n of the ping"}


@openapi.path_schema(n=PING_NUMBER)
@openapi.produces({
    "text/plain": {"schema": {"type": "string"}},
    "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}})
@route("GET", "/api/heartbeats/{id}/pings/{n}/body", "heartbeats", "read",
       "A ping's body as received (the first pings.body_limit bytes): text/plain if it is UTF-8, "
       "application/octet-stream if not")
async def ping_body(request: web.Request) -> web.Response:
    context = _context(request)
    row = await context.heartbeat_commands.get(request.match_info["id"])
    conn, n_text = context.read_conn, request.match_info["n"]
    if not n_text.isdigit() or not n_text.isascii() or len(n_text) > 18:
        raise invalid(f"n must be a ping number (1, 2, ...), got '{n_text[:40]}'", "n")
    found = await conn.call(store.ping_body, row.seq, int(n_text))
    if found is None:
        raise not_found(f"heartbeat {row.id} has no ping number {n_text} (old pings are pruned beyond "
                        f"pings.keep)", "n")
    body, size = found
    if body is None:
        raise not_found(f"ping {n_text} of heartbeat {row.id} has no body", "n")
    try:
        # a body cut at pings.body_limit may end inside a character: still text
        codecs.getincrementaldecoder("utf-8")().decode(body, final=size <= len(body))
        content_type, charset = "text/plain", "utf-8"
    except UnicodeDecodeError:
        content_type, charset = "application/octet-stream", None
    return web.Response(body=body, content_type=content_type, charset=charset)
