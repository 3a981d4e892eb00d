"""Better Stack's on-call calendars under `/api/v2/on-calls`, over upstatd's on-call
schedules (`sch_…`, /api/on-call): the schedule commands and serializer, who is on
call now from `current`, the events from the schedule's shifts.

- `default` (as an id) is Better Stack's team default calendar: upstatd has no such
  flag, so it is the oldest schedule (the first one made), shown `default_calendar: true`.
- Events are the shifts of the schedule's `.ics` window (oncall/calendar.py
  feed_range: 7 days before today, UTC, to 90 after), a shift's id its calendar UID.
- Creating an event is making an override (one person, override: true); a regular
  event is refused: upstatd's regular shifts come from the schedule's rotation layers.
Permission resource: `on_call`, as /api/on-call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from aiohttp import web

from upstatd.api.bodies import read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack import into, speaks
from upstatd.api.errors import unprocessable
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.errors import NotFound
from upstatd.oncall import calendar, public
from upstatd.oncall.public import OverrideCreate
from upstatd.store import numbered
from upstatd.store import on_call as on_call_store

DEFAULT = "default"
OVERRIDE_FIELDS = {"user_id": "users", "starts_at": "starts_at", "ends_at": "ends_at"}


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: str
    ends_at: str
    users: list[str]
    override: bool = False


async def schedule_id(request: web.Request) -> str:
    """The path's id, `default` as the oldest schedule's."""
    given = request.match_info["id"]
    if given != DEFAULT:
        return given
    found = await _context(request).read_conn.call(numbered.first_schedule)
    if found is None:
        raise NotFound("no default on-call calendar: there is no on-call schedule yet (/api/on-call)")
    return found.id


def _split(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


def calendar_resource(shown: public.ScheduleView, now: float, emails: dict[str, str], default_id: str | None
                      ) -> tuple[dict, list[dict]]:
    """The calendar and its `included` on-call users (who is on call now)."""
    schedule = public.schedule_object(shown, now)
    item = jsonapi.resource(schedule.id, "on_call_calendar", {
        "name": schedule.name, "default_calendar": schedule.id == default_id, "team_name": None})
    on_call = [schedule.current] if schedule.current is not None else []
    item["relationships"] = {"on_call_users": {"data": [
        {"id": who.user_id, "type": "user", "meta": {"email": emails.get(who.user_id)}} for who in on_call]}}
    included = []
    for who in on_call:
        first, last = _split(who.name or "")
        included.append(jsonapi.resource(who.user_id, "on_call_user", {
            "first_name": first, "last_name": last, "email": emails.get(who.user_id), "phone_numbers": []}))
    return item, included


def _read_calendars(conn: Any, rows: list, now: float) -> tuple[list[public.ScheduleView], dict, str | None]:
    views = [public.view(conn, row, now) for row in rows]
    users = [user for shown in views for user in shown.names]
    first = numbered.first_schedule(conn)
    return views, on_call_store.emails(conn, users), None if first is None else first.id


@route("GET", "/api/v2/on-calls", "on_call", "read",
       "Better Stack: list on-call calendars, oldest first, each with who is on call now", query=jsonapi.PageQuery)
async def list_on_calls(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, jsonapi.PageQuery)
    now = context.clock.time()

    def read(conn: Any) -> tuple:
        rows, total = numbered.schedule_page(conn, number=query.page, size=query.per_page)
        return (*_read_calendars(conn, rows, now), total)

    views, emails, default_id, total = await context.read_conn.call(read)
    shown = [calendar_resource(view, now, emails, default_id) for view in views]
    answer = jsonapi.page(request, [item for item, _ in shown], query, total)
    answer["included"] = list({user["id"]: user for _, users in shown for user in users}.values())
    return respond(answer)


@route("GET", "/api/v2/on-calls/{id}", "on_call", "read",
       "Better Stack: an on-call calendar (`default`: the oldest schedule) with who is on call now")
async def get_on_call(request: web.Request) -> web.Response:
    context = _context(request)
    shown = await context.schedule_commands.get(await schedule_id(request))
    now = context.clock.time()

    def read(conn: Any) -> tuple[dict, str | None]:
        first = numbered.first_schedule(conn)
        return on_call_store.emails(conn, shown.names), None if first is None else first.id

    emails, default_id = await context.read_conn.call(read)
    item, included = calendar_resource(shown, now, emails, default_id)
    return respond({"data": item, "included": included})


def _moment(text: str, field: str) -> int:
    """An ISO 8601 time (no offset: UTC, as Better Stack's example) as Unix seconds."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise unprocessable(f"{field} is not an ISO 8601 time: '{text[:60]}'", field) from None
    return round((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(event_id: str, users: list[str], start: float, end: float, override: bool) -> dict:
    return {"id": event_id, "users": users, "starts_at": _iso(start), "ends_at": _iso(end), "override": override}


@route("GET", "/api/v2/on-calls/{id}/events", "on_call", "read",
       "Better Stack: an on-call calendar's events: its shifts from 7 days before today to 90 after (not paged)")
async def list_on_call_events(request: web.Request) -> web.Response:
    context = _context(request)
    start, end = calendar.feed_range(context.clock.time())
    shown, found = await context.schedule_commands.shifts(await schedule_id(request), int(start), int(end))
    emails = await context.read_conn.call(lambda conn: on_call_store.emails(conn, [item.user for item in found]))
    events = []
    for item in found:
        overridden = item.source.kind == "override"
        event_id = (shown.overrides[item.source.index].id if overridden
                    else calendar.event_uid(shown.id, item.user, item.start))
        events.append(event(event_id, [emails.get(item.user, item.user)], item.start, item.end, overridden))
    return respond({"events": events})


@route("POST", "/api/v2/on-calls/{id}/events", "on_call", "update",
       "Better Stack: an override event: one person on call over [starts_at, ends_at) (upstatd's override)")
@speaks(OVERRIDE_FIELDS)
async def create_on_call_event(request: web.Request) -> web.Response:
    context = _context(request)
    sent = await read_json(request, EventIn)
    if not sent.override:
        raise unprocessable("override must be true: upstatd's regular shifts come from the schedule's rotation "
                            "layers (/api/on-call/{id}); an event is an override", "override")
    if len(sent.users) != 1:
        raise unprocessable(f"users must name exactly one person (an override is one person's), got "
                            f"{len(sent.users)}", "users")
    starts_at, ends_at = _moment(sent.starts_at, "starts_at"), _moment(sent.ends_at, "ends_at")
    today = int(context.clock.time() // 86400 * 86400)
    if starts_at < today:
        raise unprocessable("starts_at must be today at 0:00 UTC or later", "starts_at")
    ref = sent.users[0]
    user_id = ref if ref.startswith("usr_") else await context.read_conn.call(
        lambda conn: on_call_store.person_by_email(conn, ref))
    if user_id is None:
        raise unprocessable(f"users: no person with email '{ref[:100]}' (/api/people)", "users")
    target = await schedule_id(request)
    made = await context.schedule_commands.create_override(target, into(
        {"user_id": user_id, "starts_at": starts_at, "ends_at": ends_at}, OverrideCreate, OVERRIDE_FIELDS))
    override = made.row
    email = await context.read_conn.call(lambda conn: on_call_store.emails(conn, [user_id]))
    return respond(event(override.id, [email.get(user_id, user_id)], override.starts_at, override.ends_at, True))
