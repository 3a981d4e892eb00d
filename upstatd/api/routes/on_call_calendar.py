"""A schedule's calendar feed (oncall/calendar.py).

- POST /api/on-call/{id}/calendar-url (on_call update): a new secret URL of the
  feed, answered this once; calling it again rotates (the old URL stops working).
- DELETE /api/on-call/{id}/calendar-url (on_call update): no feed any more.
- GET /on-call/{id}.ics?secret=… (public, no token: calendar apps send none):
  the shifts from 7 days ago to 90 days ahead as iCalendar, with an ETag.
  A wrong or missing secret, and a schedule without a feed, are the same 404.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from upstatd.api.bodies import no_content, read_json, respond
from upstatd.api.routes import context, route
from upstatd.shapes import NoBody

PATH = "/api/on-call/{id}/calendar-url"
FEED_PATH = "/on-call/{id}.ics"
FEED_HEADERS = {"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer"}  # the secret is in the URL: never passed on
MISSING = "no such calendar\n"


class CalendarUrl(msgspec.Struct):
    object: str           # "calendar_url"
    schedule_id: str
    calendar_url: str     # carries the secret: shown this once, only its hash is kept


@route("POST", PATH, "on_call", "update", "Make a new secret URL of the schedule's .ics feed (the old one "
       "stops working); it is shown only in this answer", body=NoBody, response=CalendarUrl)
async def create_calendar_url(request: web.Request) -> web.Response:
    await read_json(request, NoBody)
    schedule_id = request.match_info["id"]
    url = await context(request).on_call_calendar.new_url(schedule_id)
    return respond(CalendarUrl("calendar_url", schedule_id, url))


@route("DELETE", PATH, "on_call", "update", "Turn the schedule's .ics feed off (its URL answers 404)",
       status=204)
async def delete_calendar_url(request: web.Request) -> web.Response:
    await context(request).on_call_calendar.turn_off(request.match_info["id"])
    return no_content()


def add_public_routes(app: web.Application, api_context: Any) -> None:
    async def feed(request: web.Request) -> web.Response:
        secret = request.query.get("secret", "")
        found = await api_context.on_call_calendar.feed(request.match_info["id"], secret) if secret else None
        if found is None:
            return web.Response(status=404, text=MISSING, headers={"Cache-Control": "no-store"})
        headers = {**FEED_HEADERS, "ETag": found.etag}
        if found.etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
            return web.Response(status=304, headers=headers)
        return web.Response(body=found.body, headers=headers)

    app.router.add_get(FEED_PATH, feed)
