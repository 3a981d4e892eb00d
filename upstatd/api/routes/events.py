"""/api/events: the event stream, for integrations that poll instead of
taking webhooks. Newest first, paginated, kept 30 days."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import read_query, respond
from upstatd.api.errors import invalid, not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import route
from upstatd.events import TYPES, event_from_row

Timestamp = pagination.Timestamp
COLUMNS = "id, type, created_at, data"


class EventData(msgspec.Struct):
    object: dict[str, Any]


class EventObject(msgspec.Struct):
    id: str
    object: Literal["event"]
    type: str
    created: int
    data: EventData


class EventListQuery(ListQuery, forbid_unknown_fields=True):
    type: Annotated[str, msgspec.Meta(description="An event type, or a prefix pattern like incident.*")] | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


EventList = pagination.list_of(EventObject, "EventList")


def _context(request: web.Request) -> Any:
    from upstatd.api.server import CONTEXT
    return request.app[CONTEXT]


@route("GET", "/api/events", "events", "read", "List events, newest first (kept 30 days)",
       query=EventListQuery, response=EventList)
async def list_events(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, EventListQuery)
    where, args = ["1"], []
    if query.type is not None:
        if query.type.endswith(".*"):
            prefix = query.type[:-1]
            if not any(known.startswith(prefix) for known in TYPES):
                raise invalid(f"type: no event type starts with '{prefix}' (types: {', '.join(TYPES)})", "type")
            where.append("substr(type, 1, ?) = ?")
            args += [len(prefix), prefix]
        else:
            if query.type not in TYPES:
                raise invalid(f"type must be an event type or a pattern like incident.*, got '{query.type}' "
                              f"(types: {', '.join(TYPES)})", "type")
            where.append("type = ?")
            args.append(query.type)
    pagination.created_range(query, where, args)
    rows, has_more = await context.read_conn.call(pagination.page, "events", COLUMNS, query, " AND ".join(where),
                                           tuple(args))
    return respond(pagination.envelope([event_from_row(row).as_json() for row in rows], has_more, "/api/events"))


@route("GET", "/api/events/{id}", "events", "read", "Retrieve an event", response=EventObject)
async def retrieve(request: web.Request) -> web.Response:
    context = _context(request)
    event_id = request.match_info["id"]
    rows = await context.read_conn.execute_fetchall(f"SELECT {COLUMNS} FROM events WHERE id = ?", (event_id,))
    if not rows:
        raise not_found(f"no event with id '{event_id}' (events are kept 30 days)", "id")
    return respond(event_from_row(rows[0]).as_json())
