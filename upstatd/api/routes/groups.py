"""/api/monitor-groups and /api/heartbeat-groups: groups (grp_…) of monitors and
of heartbeats, as Better Stack splits them.

- Two paths so that each takes its members' permission: a monitor group needs
  `monitors:*`, a heartbeat group `heartbeats:*` (pausing a group is an update
  of its members). A group id of the other kind is a 404.
- A group from the config file (a `group:` on a monitor or heartbeat) can be
  read, paused and resumed; changing or deleting it answers 409 naming the file.
- DELETE of a group that has members answers 409 naming them.
- Members join with `group_id` on the monitor or heartbeat; list a group's
  members with `GET /api/monitors?group_id=grp_…`.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import future_ms, read_json, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import Resource, route
from upstatd.groups.commands import GroupCommands
from upstatd.groups.public import Group, GroupCreate, GroupUpdate, group_object
from upstatd.monitors.public import PauseBody
from upstatd.store import groups as store

Timestamp = pagination.Timestamp


class GroupListQuery(ListQuery, forbid_unknown_fields=True):
    managed_by: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(store.MANAGERS)})] | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


GroupList = pagination.list_of(Group, "GroupList")


def declare(kind: str, permission: str, commands) -> Resource:
    """The routes of one kind's groups."""
    groups = Resource(f"/api/{kind}-groups", permission, commands, lambda context, row: group_object(row),
                      stem=f"{kind}_groups")
    groups.create(f"Create a {kind} group; {kind}s join it with group_id", body=GroupCreate, response=Group)
    groups.list(f"List {kind} groups, newest first, each with its member counts and worst state",
                query=GroupListQuery, response=GroupList,
                page=lambda conn, **query: store.list_page(conn, kind, **query))
    groups.retrieve(f"Retrieve a {kind} group", response=Group)
    groups.update(f"Update a {kind} group: name; metadata merges", body=GroupUpdate, response=Group)
    groups.delete(f"Delete a {kind} group that has no members")
    groups.action("resume", f"Resume every paused {kind} of the group", GroupCommands.resume, response=Group)
    return groups


declare("monitor", "monitors", lambda context: context.monitor_group_commands)
heartbeat_groups = declare("heartbeat", "heartbeats", lambda context: context.heartbeat_group_commands)
heartbeat_groups.action("pause", "Pause every heartbeat of the group (config ones too)", GroupCommands.pause,
                        response=Group)


@route("POST", "/api/monitor-groups/{id}/pause", "monitors", "update",
       "Pause every monitor of the group (config ones too); with resume_at they resume by themselves then",
       body=PauseBody, response=Group)
async def pause_monitor_group(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, PauseBody)
    resume_at_ms = future_ms(body.resume_at, context.now_ms(), "resume_at")
    changed = await context.monitor_group_commands.pause(request.match_info["id"], resume_at_ms)
    return respond(group_object(changed.row))
