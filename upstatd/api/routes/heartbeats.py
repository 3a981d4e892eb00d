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
from typing import Literal

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.errors import invalid, not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import partial_update, route
from upstatd.heartbeats import commands, deadlines
from upstatd.heartbeats.deadlines import KINDS as PING_KINDS
from upstatd.heartbeats.deadlines import STATES
from upstatd.heartbeats.public import (MANAGERS, STATUSES, Heartbeat, HeartbeatCreate, HeartbeatUpdate, NoBody,
                                       Ping, _enum, _state, ping_object)
from upstatd.shapes import seconds as _seconds
from upstatd.heartbeats.schedule import KINDS as SCHEDULE_KINDS
from upstatd.store import heartbeats as store

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
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class PingListQuery(ListQuery, forbid_unknown_fields=True):
    kind: _enum(PING_KINDS) | None = None
    rid: str | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class HeartbeatStatus(msgspec.Struct):
    object: Literal["heartbeat_status"]
    heartbeat_id: str
    status: str
    current_state: str
    since: int
    started: bool
    started_at: int | None
    last_ping: Ping | None
    next_expected_at: int | None   # the next slot a ping is due by
    late_at: int | None            # when it turns late if nothing comes (null: it will not)
    down_at: int | None            # when it turns down if nothing comes (null: it will not)
    last_duration_seconds: float | None


HeartbeatList = pagination.list_of(Heartbeat, "HeartbeatList")
PingList = pagination.list_of(Ping, "PingList")


# -- conversions ------------------------------------------------------------------------------

# -- helpers ----------------------------------------------------------------------------------



# -- routes ----------------------------------------------------------------------------------

@route("POST", "/api/heartbeats", "heartbeats", "create",
       "Create a heartbeat; its ping_url is ready at once", body=HeartbeatCreate, response=Heartbeat, status=201)
async def create(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, HeartbeatCreate)
    changed = await context.heartbeat_commands.create(body)
    return respond(context.heartbeat_commands.serialize(changed.row), status=201)


@route("GET", "/api/heartbeats", "heartbeats", "read", "List heartbeats, newest first",
       query=HeartbeatListQuery, response=HeartbeatList)
async def list_heartbeats(request: web.Request) -> web.Response:
    commands_ = _context(request).heartbeat_commands
    query = read_query(request, HeartbeatListQuery)
    found, has_more = await pagination.fetch(_context(request).read_conn, store.list_page, query)
    return respond(pagination.envelope([commands_.serialize(row) for row in found], has_more, "/api/heartbeats"))


@route("GET", "/api/heartbeats/{id}", "heartbeats", "read", "Retrieve a heartbeat", response=Heartbeat)
async def retrieve(request: web.Request) -> web.Response:
    commands_ = _context(request).heartbeat_commands
    return respond(commands_.serialize(await commands_.get(request.match_info["id"])))


@partial_update("/api/heartbeats/{id}", "heartbeats",
                "Update a heartbeat: only the fields given change; metadata merges",
                body=HeartbeatUpdate, response=Heartbeat)
async def update(request: web.Request) -> web.Response:
    commands_ = _context(request).heartbeat_commands
    body = await read_json(request, HeartbeatUpdate)
    changed = await commands_.update(request.match_info["id"], body)
    return respond(commands_.serialize(changed.row))


@route("DELETE", "/api/heartbeats/{id}", "heartbeats", "delete", "Delete a heartbeat with its pings", status=204)
async def delete(request: web.Request) -> web.Response:
    await _context(request).heartbeat_commands.delete(request.match_info["id"])
    return no_content()


@route("POST", "/api/heartbeats/{id}/pause", "heartbeats", "update",
       "Pause a heartbeat (config ones too): no alarms until it is resumed or, unless manual_resume, pinged",
       body=NoBody, response=Heartbeat)
async def pause(request: web.Request) -> web.Response:
    commands_ = _context(request).heartbeat_commands
    await read_json(request, NoBody)
    changed = await commands_.pause(request.match_info["id"])
    return respond(commands_.serialize(changed.row))


@route("POST", "/api/heartbeats/{id}/resume", "heartbeats", "update",
       "Resume a paused heartbeat: it is `new` again until its next ping", body=NoBody, response=Heartbeat)
async def resume(request: web.Request) -> web.Response:
    commands_ = _context(request).heartbeat_commands
    await read_json(request, NoBody)
    changed = await commands_.resume(request.match_info["id"])
    return respond(commands_.serialize(changed.row))


@route("GET", "/api/heartbeats/{id}/status", "heartbeats", "read",
       "Current state, last ping, next expected ping, when it turns late and down, last run's duration",
       response=HeartbeatStatus)
async def status(request: web.Request) -> web.Response:
    conn = _context(request).read_conn
    row = await conn.call(commands.find, request.match_info["id"])
    last = await conn.call(store.last_ping, row.seq)
    state = _state(row)
    late_at = down_at = None
    change = None if row.status == "paused" else deadlines.next_change(state, row.spec["grace"])
    if change is not None:
        if change[1] == "late":
            late_at = change[0]
            down_at = deadlines.next_change(state._replace(state="late"), row.spec["grace"])[0]
        else:
            down_at = change[0]
    expected = state.expected_at if row.current_state in ("up", "late") else None
    return respond(HeartbeatStatus(
        "heartbeat_status", row.id, row.status, row.current_state, row.state_since // 1000,
        row.started_at is not None, _seconds(row.started_at),
        None if last is None else ping_object(last, row.id),
        None if expected is None else int(expected), None if late_at is None else int(late_at),
        None if down_at is None else int(down_at),
        None if row.last_duration_ms is None else row.last_duration_ms / 1000))


@route("GET", "/api/heartbeats/{id}/pings", "heartbeats", "read", "List a heartbeat's pings, newest first",
       query=PingListQuery, response=PingList)
async def list_pings(request: web.Request) -> web.Response:
    conn = _context(request).read_conn
    row = await conn.call(commands.find, request.match_info["id"])
    query = read_query(request, PingListQuery)
    found, has_more = await pagination.fetch(conn, store.pings_page, query, heartbeat_seq=row.seq)
    return respond(pagination.envelope([ping_object(item, row.id) for item in found], has_more,
                                       f"/api/heartbeats/{row.id}/pings"))


@route("GET", "/api/heartbeats/{id}/pings/{n}/body", "heartbeats", "read",
       "A ping's body as received (the first pings.body_limit bytes): text/plain if it is UTF-8")
async def ping_body(request: web.Request) -> web.Response:
    conn = _context(request).read_conn
    row = await conn.call(commands.find, request.match_info["id"])
    n_text = request.match_info["n"]
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
