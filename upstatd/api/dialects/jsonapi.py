"""The JSON:API-style pieces of the Better Stack dialect (betterstack*.py): resource
objects, numbered pages with absolute `pagination` links, ISO 8601 times, and the
error envelope (`errors` keyed by field for a 422, a message otherwise)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import msgspec
from aiohttp import web

from upstatd.api.errors import ApiError

RANGE_INVALID = "range_invalid"  # an ApiError code: answered as Better Stack answers bad SLA dates
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 250


class PageQuery(msgspec.Struct, forbid_unknown_fields=True):
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    team_name: str | None = None  # a global token's team: upstatd has one team, so it is ignored

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ApiError(422, "invalid_request_error", "parameter_invalid",
                           f"page must be 1 or more, got {self.page}", "page")
        if self.per_page < 1:
            raise ApiError(422, "invalid_request_error", "parameter_invalid",
                           f"per_page must be 1 or more, got {self.per_page}", "per_page")
        # above the maximum: the maximum, as Better Stack caps it (no error)
        self.per_page = min(self.per_page, MAX_PER_PAGE)


def iso(seconds: int | float | None) -> str | None:
    """Unix seconds (upstatd's serializers) -> ISO 8601 in UTC, as Better Stack writes times."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def resource(id: str, type: str, attributes: dict) -> dict:
    return {"id": id, "type": type, "attributes": attributes}


def one(item: dict) -> dict:
    return {"data": item}


def page(request: web.Request, items: list[dict], query: PageQuery, total: int) -> dict:
    """The list answer: `data` and `pagination` (first/last/prev/next as absolute URLs, with the
    request's other parameters kept; prev null on the first page, next null on the last)."""
    last = max(1, math.ceil(total / query.per_page))

    kept = [(name, value) for name, value in request.query.items() if name not in ("page", "per_page")]

    def link(number: int) -> str:  # the filters, then page and per_page
        return str(request.url.with_query([*kept, ("page", str(number)), ("per_page", str(query.per_page))]))

    return {"data": items, "pagination": {
        "first": link(1), "last": link(last),
        "prev": link(min(query.page - 1, last)) if query.page > 1 else None,
        "next": link(query.page + 1) if query.page < last else None}}


def renamed(failure: ApiError, names: dict[str, str]) -> ApiError:
    """`failure` naming the dialect's field instead of upstatd's: `names` maps an upstatd
    parameter (or the start of its path: "http.headers") to the dialect's field."""
    if failure.param is None:
        return failure
    for theirs in sorted(names, key=len, reverse=True):
        if failure.param == theirs or failure.param.startswith(theirs + "."):
            failure.param = names[theirs]
            break
    return failure


def render(failure: ApiError, request_id: str) -> tuple[int, Any]:
    """Better Stack's error envelope. A request it cannot take (upstatd's 400 malformed, 422
    invalid) is a 422 with `errors: {field: [message]}` (`base` when no field is at fault);
    any other refusal keeps its status with `errors` the message."""
    if failure.code == RANGE_INVALID:  # the SLA's dates: Better Stack's 400 with a message
        return 400, {"errors": failure.message}
    if failure.status in (400, 422):
        return 422, {"errors": {failure.param or "base": [failure.message]}}
    return failure.status, {"errors": failure.message}
