"""/api/on-call: on-call schedules (sch_…), permission resource `on_call`.

- A schedule is shown with `current` (who is on call now, from which layer or
  override, until the next handoff) and its overrides not yet ended.
- GET /api/on-call/{id}/shifts?from=&to= answers who is on call over a range.
- Overrides (ovr_…) are made and deleted under /api/on-call/{id}/overrides, on
  config schedules too; the schedule itself from the config file answers 409 to
  changes, naming the file.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import read_query, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Nested, Resource, route
from upstatd.api.routes import context as _context
from upstatd.oncall import public
from upstatd.oncall.commands import ScheduleCommands
from upstatd.oncall.rotations import MAX_SHIFTS
from upstatd.oncall.public import OnCallSchedule, OverrideCreate, OverrideShown, ScheduleCreate, ScheduleUpdate
from upstatd.store import on_call as on_call_store
from upstatd.store import schedules as store


class ScheduleListQuery(ListQuery, forbid_unknown_fields=True):
    pass


class OverrideListQuery(ListQuery, forbid_unknown_fields=True):
    pass


class ShiftsQuery(msgspec.Struct, forbid_unknown_fields=True):
    from_: pagination.Timestamp | None = msgspec.field(default=None, name="from")
    to: pagination.Timestamp | None = None


ScheduleList = pagination.list_of(OnCallSchedule, "OnCallScheduleList")
OverrideList = pagination.list_of(OverrideShown, "OnCallOverrideList")

schedules = Resource("/api/on-call", "on_call", lambda context: context.schedule_commands,
                     lambda context, shown: public.schedule_object(shown, context.clock.time()))
schedules.create("Create an on-call schedule: layers of rotations, bottom first", body=ScheduleCreate,
                 response=OnCallSchedule)
schedules.list("List on-call schedules, newest first, each with who is on call now", query=ScheduleListQuery,
               response=ScheduleList, timed=True,
               page=lambda conn, now_ms, timelines, **query: public.views_page(conn, now_ms / 1000, **query))
schedules.retrieve("Retrieve an on-call schedule with who is on call now (`current`)", response=OnCallSchedule)
schedules.update("Update an on-call schedule: name, layers (replaced whole); metadata merges", body=ScheduleUpdate,
                 response=OnCallSchedule)
schedules.delete("Delete an on-call schedule (not one an escalation policy targets)")


@route("GET", "/api/on-call/{id}/shifts", "on_call", "read",
       "Who is on call over [from, to): shifts clipped to the range, gaps left out (at most 400 days, "
       "5,000 shifts)", query=ShiftsQuery, response=public.ShiftList)
async def list_shifts(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, ShiftsQuery)
    shown, found = await context.schedule_commands.shifts(request.match_info["id"], query.from_, query.to)
    return respond({"object": "list", "data": public.shift_objects(shown, found), "has_more": len(found) >= MAX_SHIFTS,
                    "url": f"/api/on-call/{shown.id}/shifts"})


def _override_page(conn, schedule_seq: int, **query) -> tuple[list[OverrideShown], bool]:
    """One page of a schedule's overrides (ended ones too), newest first, with the people's names."""
    found, has_more = store.overrides_page(conn, schedule_seq, **query)
    schedule_id = store.by_seq(conn, schedule_seq).id
    names = on_call_store.names(conn, [item.user_id for item in found])
    return [public.override_object(item, schedule_id, names) for item in found], has_more


overrides = Nested(schedules, "overrides", "override", lambda item, schedule_id: item)
overrides.list("List a schedule's overrides, newest first (ended ones too)", query=OverrideListQuery,
               response=OverrideList, page=_override_page)
overrides.create("Make an override: this person covers [starts_at, ends_at) (also on a config schedule)",
                 ScheduleCommands.create_override, body=OverrideCreate, response=OverrideShown)
overrides.delete("Delete an override made over the API", ScheduleCommands.delete_override)
