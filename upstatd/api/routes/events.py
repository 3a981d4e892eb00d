"""/api/events: the event stream, for integrations that poll instead of
taking webhooks. Newest first, paginated, kept 30 days."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import read_query, respond
from upstatd.api.errors import not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.events import TYPES
from upstatd.store import events as store

# what store/events.list_page takes (400 otherwise): a type, or a prefix pattern of one
QUERY_TYPES = (*TYPES, *dict.fromkeys(f"{kind.split('.')[0]}.*" for kind in TYPES if "." in kind))

Timestamp = pagination.Timestamp


class EventData(msgspec.Struct):
    object: dict[str, Any]


class EventObject(msgspec.Struct):
    id: str
    object: Literal["event"]
    type: str
    created: int
    data: EventData


class EventListQuery(ListQuery, forbid_unknown_fields=True):
    type: Annotated[str, msgspec.Meta(description="An event type, or a prefix pattern like incident.*",
                                      extra_json_schema={"enum": list(QUERY_TYPES)})] | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


EventList = pagination.list_of(EventObject, "EventList")



@route("GET", "/api/events", "events", "read", "List events, newest first (kept 30 days)",
       query=EventListQuery, response=EventList)
async def list_events(request: web.Request) -> web.Response:
    query = read_query(request, EventListQuery)
    found, has_more = await pagination.fetch(_context(request).read_conn, store.list_page, query)
    return respond(pagination.envelope([event.as_json() for event in found], has_more, "/api/events"))


@route("GET", "/api/events/{id}", "events", "read", "Retrieve an event", response=EventObject)
async def retrieve(request: web.Request) -> web.Response:
    event_id = request.match_info["id"]
    event = await _context(request).read_conn.call(store.get, event_id)
    if event is None:
        raise not_found(f"no event with id '{event_id}' (events are kept 30 days)", "id")
    return respond(event.as_json())
