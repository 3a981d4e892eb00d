"""Better Stack's /api/v2/monitor-groups and /api/v2/heartbeat-groups over upstatd's
group commands (those of /api/monitor-groups and /api/heartbeat-groups)."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web
from msgspec import UNSET, UnsetType

from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack import _ignored_fields, given, into
from upstatd.api.dialects.betterstack_heartbeats import heartbeat_resource
from upstatd.api.dialects.betterstack_monitors import monitor_resource
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.groups.public import GroupCreate, GroupUpdate, group_object
from upstatd.store import numbered

GroupIn = msgspec.defstruct("GroupIn", [
    ("name", str | UnsetType, UNSET),
    ("paused", bool | UnsetType, UNSET),
    *_ignored_fields(),
], kw_only=True, forbid_unknown_fields=True, module=__name__)


def group_resource(kind: str, row: Any) -> dict:
    shown = group_object(row)
    return jsonapi.resource(shown.id, f"{kind}_group", {
        "name": shown.name,
        "sort_index": None,
        "paused": shown.status == "paused",
        "created_at": jsonapi.iso(shown.created_at),
        "updated_at": jsonapi.iso(shown.updated_at),
    })


def declare_groups(kind: str, permission: str, commands_of: Any, member_page: Any, member_resource: Any) -> None:
    """/api/v2/<kind>-groups: the group commands of /api/<kind>-groups; `paused` pauses or
    resumes every member (upstatd's group pause and resume); /{id}/<kind>s lists the members."""
    path = f"/api/v2/{kind}-groups"

    async def pause_or_resume(commands: Any, row: Any, paused: Any) -> Any:
        if not given(paused) or paused == (group_object(row).status == "paused"):
            return row
        changed = await (commands.pause(row.id, None) if paused and kind == "monitor" else
                         commands.pause(row.id) if paused else commands.resume(row.id))
        return changed.row

    async def list_groups(request: web.Request) -> web.Response:
        query = read_query(request, jsonapi.PageQuery)
        rows, total = await _context(request).read_conn.call(lambda conn: numbered.group_page(
            conn, kind, number=query.page, size=query.per_page))
        return respond(jsonapi.page(request, [group_resource(kind, row) for row in rows], query, total))

    async def create_group(request: web.Request) -> web.Response:
        commands = commands_of(_context(request))
        sent = await read_json(request, GroupIn)
        body = {} if not given(sent.name) else {"name": sent.name}
        made = (await commands.create(into(body, GroupCreate, {"name": "name"}))).row
        return respond(jsonapi.one(group_resource(kind, made)), status=201)

    async def get_group(request: web.Request) -> web.Response:
        row = await commands_of(_context(request)).get(request.match_info["id"])
        return respond(jsonapi.one(group_resource(kind, row)))

    async def update_group(request: web.Request) -> web.Response:
        commands = commands_of(_context(request))
        row = await commands.get(request.match_info["id"])
        sent = await read_json(request, GroupIn)
        if given(sent.name):
            row = (await commands.update(row.id, into({"name": sent.name}, GroupUpdate, {"name": "name"}))).row
        row = await pause_or_resume(commands, row, sent.paused)
        return respond(jsonapi.one(group_resource(kind, row)))

    async def delete_group(request: web.Request) -> web.Response:
        await commands_of(_context(request)).delete(request.match_info["id"])
        return no_content()

    async def list_members(request: web.Request) -> web.Response:
        context = _context(request)
        query = read_query(request, jsonapi.PageQuery)
        group = await commands_of(context).get(request.match_info["id"])
        rows, total = await context.read_conn.call(lambda conn: member_page(
            conn, number=query.page, size=query.per_page, group_id=group.id))
        return respond(jsonapi.page(request, [member_resource(context, row) for row in rows], query, total))

    for method, route_path, action, summary, handler, extra in (
            ("GET", path, "read", f"Better Stack: list {kind} groups, oldest first, page by page", list_groups,
             {"query": jsonapi.PageQuery}),
            ("POST", path, "create", f"Better Stack: create a {kind} group", create_group, {"status": 201, "body": GroupIn}),
            ("GET", f"{path}/{{id}}", "read", f"Better Stack: a {kind} group", get_group, {}),
            ("PATCH", f"{path}/{{id}}", "update", f"Better Stack: rename a {kind} group; paused pauses or "
             f"resumes its {kind}s", update_group, {"body": GroupIn}),
            ("DELETE", f"{path}/{{id}}", "delete", f"Better Stack: delete a {kind} group that has no members",
             delete_group, {"status": 204}),
            ("GET", f"{path}/{{id}}/{kind}s", "read", f"Better Stack: a {kind} group's {kind}s, page by page",
             list_members, {"query": jsonapi.PageQuery})):
        name = handler.__name__.replace("group", f"{kind}_group").replace("members", f"{kind}_group_{kind}s")
        handler.__name__ = handler.__qualname__ = name
        route(method, route_path, permission, action, summary, **extra)(handler)


declare_groups("monitor", "monitors", lambda context: context.monitor_group_commands, numbered.monitor_page,
               lambda context, row: monitor_resource(row))
declare_groups("heartbeat", "heartbeats", lambda context: context.heartbeat_group_commands,
               numbered.heartbeat_page, heartbeat_resource)
