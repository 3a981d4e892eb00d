"""Better Stack's Uptime API (docs/dialect-betterstack.md has the mapping tables): what its
modules share. /api/v2 is betterstack_monitors.py (monitors and their SLA),
betterstack_heartbeats.py (and their availability), betterstack_groups.py,
betterstack_oncall.py (on-call calendars), betterstack_pages.py (status pages, sections,
resources), betterstack_reports.py (status reports); /api/v3 is betterstack_v3.py
(incidents, their timeline), betterstack_incident_comments.py (under v2 and v3),
betterstack_policies.py, betterstack_metadata.py. betterstack_openapi.py describes both.

A thin adapter: a request's Better Stack fields become the body of upstatd's own command
(the commands /api uses, with their validation), and the answer is upstatd's serializer
renamed into Better Stack's JSON:API attributes. Same tokens, permissions and rate limit
as /api; errors in Better Stack's envelope (jsonapi.render), naming Better Stack's field.

Fields with no counterpart: IGNORED are taken and dropped (notification channels,
team_wait, maintenance windows, ...); any other unknown field is refused naming it.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from aiohttp import web
from msgspec import UNSET

from upstatd import errors as domain
from upstatd.api import envelopes, explain
from upstatd.api.bodies import read_query
from upstatd.api.dialects import jsonapi
from upstatd.api.errors import ApiError, from_domain
from upstatd.api.routes import context as _context

PREFIXES = ("/api/v2/", "/api/v3/")
for _prefix in PREFIXES:
    envelopes.register(_prefix, jsonapi.render)

# Better Stack fields upstatd takes and drops: how it alerts (upstatd's alert channels and
# escalation policies do), its teams and maintenance windows (upstatd's are /api/maintenance)
IGNORED = ("call", "sms", "email", "push", "critical_alert", "team_wait", "team_name", "remember_cookies",
           "domain_expiration", "maintenance_from", "maintenance_to", "maintenance_timezone", "maintenance_days",
           "sort_index")


def _ignored_fields() -> list[tuple[str, Any, Any]]:
    return [(name, Any, UNSET) for name in IGNORED]


class SlaQuery(msgspec.Struct, forbid_unknown_fields=True):
    from_: str | None = msgspec.field(default=None, name="from")  # YYYY-MM-DD, UTC, the first day counted
    to: str | None = None                                          # YYYY-MM-DD, the last day counted


def speaks(names: dict[str, str]):
    """A handler whose commands' refusals (upstatd's domain errors) name Better Stack's fields.
    The refusals of Better Stack's own body (read_json on MonitorIn) already do."""
    def wrap(handler):
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except domain.DomainError as exc:
                raise jsonapi.renamed(from_domain(exc), names) from None
        return wrapped
    return wrap


def renaming(rename: Any):
    """A handler whose refusals (domain errors and ApiErrors alike) have their `param` passed
    through `rename` (upstatd's name -> Better Stack's), for renames a table cannot say."""
    def wrap(handler):
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except domain.DomainError as exc:
                failure = from_domain(exc)
            except ApiError as exc:
                failure = exc
            failure.param = rename(failure.param)
            raise failure from None
        return wrapped
    return wrap


def into(body: dict, schema: type, names: dict[str, str]) -> Any:
    """upstatd's body for its command, decoded as /api decodes it (its messages, its bounds),
    a refusal naming Better Stack's field."""
    try:
        return msgspec.convert(body, schema)
    except msgspec.ValidationError as exc:
        raise jsonapi.renamed(explain.validation_error(exc, schema, body, query=False), names) from None


def given(value: Any) -> bool:
    return value is not UNSET


async def _pause_or_resume(commands: Any, row: Any, paused: Any, pause: Any) -> Any:
    """`paused` of a create or update: the pause or resume command when it changes the state."""
    if not given(paused) or paused == (row.status == "paused"):
        return row
    changed = await (pause(row.id) if paused else commands.resume(row.id))
    return changed.row


DAY = 86400
RANGE_INVALID = ("The date range is invalid: from and to are dates (YYYY-MM-DD), from not in the future, "
                 "to not before from, at most 400 days apart")


def _day(text: str | None) -> int | None:
    """A date's midnight, UTC, in Unix seconds."""
    if text is None:
        return None
    try:
        return round(datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC).timestamp())
    except ValueError:
        raise ApiError(400, "invalid_request_error", jsonapi.RANGE_INVALID, RANGE_INVALID) from None



async def dated_sla(request: web.Request, commands: Any) -> tuple[Any, Any]:
    """The monitor or heartbeat the path names and its `commands.sla` over SlaQuery's dates:
    both days counted in full; without `from` since it was made (within upstatd's 400 days),
    without `to` until now. Dates upstatd refuses are Better Stack's 400 range_invalid."""
    query = read_query(request, SlaQuery)
    try:
        row = await commands.get(request.match_info["id"])
        start, last_day = _day(query.from_), _day(query.to)
        now = _context(request).now_ms() // 1000
        end = None if last_day is None else min(now, last_day + DAY)
        if start is None:
            start = max(row.created_at // 1000, (end or now) - 400 * DAY)
        if start > now:
            raise ApiError(400, "invalid_request_error", jsonapi.RANGE_INVALID, RANGE_INVALID)
        return row, await commands.sla(row.id, start, end)
    except (domain.Invalid, domain.Malformed):
        raise ApiError(400, "invalid_request_error", jsonapi.RANGE_INVALID, RANGE_INVALID) from None
