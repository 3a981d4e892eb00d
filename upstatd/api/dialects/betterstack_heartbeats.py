"""Better Stack's /api/v2/heartbeats over upstatd's heartbeat commands and serializer
(HeartbeatCommands.serialize): period and grace are upstatd's period_seconds and
grace_seconds; `paused` is the pause/resume command, after the create or update.
/{id}/availability is HeartbeatCommands.sla, as a monitor's /sla is MonitorCommands.sla."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web
from msgspec import UNSET, UnsetType

from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack import (
    SlaQuery, _ignored_fields, _pause_or_resume, dated_sla, given, into, speaks,
)
from upstatd.api.errors import unprocessable
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.heartbeats.public import HeartbeatCreate, HeartbeatUpdate
from upstatd.store import numbered

HeartbeatIn = msgspec.defstruct("HeartbeatIn", [
    ("name", str | UnsetType, UNSET),
    ("period", int | UnsetType, UNSET),
    ("grace", int | UnsetType, UNSET),
    ("paused", bool | UnsetType, UNSET),
    ("heartbeat_group_id", str | int | None | UnsetType, UNSET),
    ("policy_id", str | int | None | UnsetType, UNSET),
    *_ignored_fields(),
], kw_only=True, forbid_unknown_fields=True, module=__name__)


HEARTBEAT_FIELDS = {
    "name": "name", "period_seconds": "period", "cron": "period", "oncalendar": "period",
    "grace_seconds": "grace", "group_id": "heartbeat_group_id", "escalation_policy": "policy_id",
}


def heartbeat_status(shown: Any) -> str:
    if shown.status == "paused":
        return "paused"
    return {"new": "pending", "late": "up"}.get(shown.current_state, shown.current_state)


def heartbeat_resource(context: Any, row: Any) -> dict:
    shown = context.heartbeat_commands.serialize(row)
    return jsonapi.resource(shown.id, "heartbeat", {
        "url": shown.ping_url,
        "name": shown.name,
        "period": shown.period_seconds,
        "grace": shown.grace_seconds,
        "call": False, "sms": False, "email": False, "push": False, "critical_alert": False,
        "team_wait": None,
        "heartbeat_group_id": shown.group_id,
        "policy_id": shown.escalation_policy,
        "sort_index": None,
        "paused_at": jsonapi.iso(shown.paused_at),
        "maintenance_from": None, "maintenance_to": None, "maintenance_timezone": None, "maintenance_days": [],
        "created_at": jsonapi.iso(shown.created_at),
        "updated_at": jsonapi.iso(shown.updated_at),
        "status": heartbeat_status(shown),
    })


def heartbeat_body(sent: Any) -> dict:
    body: dict[str, Any] = {}
    for theirs, ours in (("name", "name"), ("period", "period_seconds"), ("grace", "grace_seconds")):
        value = getattr(sent, theirs)
        if given(value):
            body[ours] = value
    if given(sent.heartbeat_group_id):
        body["group_id"] = None if sent.heartbeat_group_id is None else str(sent.heartbeat_group_id)
    if given(sent.policy_id):
        body["escalation_policy"] = None if sent.policy_id is None else str(sent.policy_id)
    return body


@route("GET", "/api/v2/heartbeats", "heartbeats", "read", "Better Stack: list heartbeats, oldest first, "
       "page by page", query=jsonapi.PageQuery)
@speaks({})
async def list_heartbeats(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, jsonapi.PageQuery)
    rows, total = await context.read_conn.call(lambda conn: numbered.heartbeat_page(
        conn, number=query.page, size=query.per_page))
    return respond(jsonapi.page(request, [heartbeat_resource(context, row) for row in rows], query, total))


@route("POST", "/api/v2/heartbeats", "heartbeats", "create", "Better Stack: create a heartbeat", status=201,
       body=HeartbeatIn)
@speaks(HEARTBEAT_FIELDS)
async def create_heartbeat(request: web.Request) -> web.Response:
    context = _context(request)
    commands = context.heartbeat_commands
    sent = await read_json(request, HeartbeatIn)
    if not given(sent.period):
        raise unprocessable("period is required: the seconds between the job's pings", "period")
    made = (await commands.create(into(heartbeat_body(sent), HeartbeatCreate, HEARTBEAT_FIELDS))).row
    made = await _pause_or_resume(commands, made, sent.paused, commands.pause)
    return respond(jsonapi.one(heartbeat_resource(context, made)), status=201)


@route("GET", "/api/v2/heartbeats/{id}", "heartbeats", "read", "Better Stack: a heartbeat")
@speaks({})
async def get_heartbeat(request: web.Request) -> web.Response:
    context = _context(request)
    row = await context.heartbeat_commands.get(request.match_info["id"])
    return respond(jsonapi.one(heartbeat_resource(context, row)))


@route("PATCH", "/api/v2/heartbeats/{id}", "heartbeats", "update",
       "Better Stack: update a heartbeat (only the fields given; paused pauses or resumes it)", body=HeartbeatIn)
@speaks(HEARTBEAT_FIELDS)
async def update_heartbeat(request: web.Request) -> web.Response:
    context = _context(request)
    commands = context.heartbeat_commands
    row = await commands.get(request.match_info["id"])
    sent = await read_json(request, HeartbeatIn)
    body = heartbeat_body(sent)
    if body:
        row = (await commands.update(row.id, into(body, HeartbeatUpdate, HEARTBEAT_FIELDS))).row
    row = await _pause_or_resume(commands, row, sent.paused, commands.pause)
    return respond(jsonapi.one(heartbeat_resource(context, row)))


@route("DELETE", "/api/v2/heartbeats/{id}", "heartbeats", "delete", "Better Stack: delete a heartbeat",
       status=204)
@speaks({})
async def delete_heartbeat(request: web.Request) -> web.Response:
    await _context(request).heartbeat_commands.delete(request.match_info["id"])
    return no_content()


@route("GET", "/api/v2/heartbeats/{id}/availability", "heartbeats", "read",
       "Better Stack: a heartbeat's availability summary since it was created, or from/to (dates)",
       query=SlaQuery)
async def heartbeat_availability(request: web.Request) -> web.Response:
    row, figures = await dated_sla(request, _context(request).heartbeat_commands)
    return respond(jsonapi.one(jsonapi.resource(row.id, "heartbeat_availability", {
        "availability": figures.availability,  # null: nothing counted yet
        "total_downtime": figures.downtime_duration,
        "number_of_incidents": figures.number_of_incidents,
        "longest_incident": figures.longest_incident_duration,
        "average_incident": figures.average_incident_duration,
    })))
