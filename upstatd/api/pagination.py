"""Cursor pagination, the API side: `limit` (1-100, default 10) and exclusive
`starting_after` / `ending_before` object ids (ListQuery), the list envelope.
The pages themselves are cut in the store (upstatd.store.pages), newest first."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import cache, partial
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from upstatd.api.bodies import MAX_TIMESTAMP
from upstatd.api.errors import invalid, unprocessable
from upstatd.store import pages

T = TypeVar("T")

Timestamp = Annotated[int, msgspec.Meta(ge=0, le=MAX_TIMESTAMP, description="Unix seconds")]
Limit = Annotated[int, msgspec.Meta(ge=1, le=100, description="How many objects to return, 1-100")]
Cursor = Annotated[str, msgspec.Meta(min_length=1, description="An object id from a previous page")]


class ListQuery(msgspec.Struct, forbid_unknown_fields=False):
    """The paging parameters of every list; a route's query Struct subclasses it to add filters."""
    limit: Limit = 10
    starting_after: Cursor | None = None   # the page after this object (older ones)
    ending_before: Cursor | None = None    # the page before this object (newer ones)

    def __post_init__(self) -> None:
        # An ApiError (not a ValueError) passes through msgspec.convert unchanged.
        if self.starting_after and self.ending_before:
            raise invalid("give starting_after or ending_before, not both", "ending_before")


@cache
def list_of(item: type, name: str | None = None) -> type:
    """The list envelope of `item` as a Struct, for a route's `response=`:
    `response=pagination.list_of(Monitor)` -> MonitorList {object: "list", data: [Monitor], has_more, url}."""
    return msgspec.defstruct(name or f"{item.__name__}List", [
        ("object", Literal["list"]), ("data", list[item]), ("has_more", bool), ("url", str)],
        module=__name__)


def check(query: ListQuery) -> None:
    """For a ListQuery made without read_query (its Meta bounds checked limit already)."""
    if not 1 <= query.limit <= 100:
        raise unprocessable(f"limit must be between 1 and 100, got {query.limit}", "limit")
    if query.starting_after and query.ending_before:
        raise invalid("give starting_after or ending_before, not both", "ending_before")


def values(query: msgspec.Struct) -> dict[str, Any]:
    """A list query as the plain keyword values of the store's list functions (filters and paging)."""
    return msgspec.structs.asdict(query)


async def fetch(db: Any, list_page: Callable[..., T], query: msgspec.Struct, **owner: Any) -> T:
    """`list_page(conn, **owner, **filters and paging of query)` on the read connection `db`:
    `found, has_more = await pagination.fetch(conn, store.pings_page, query, heartbeat_seq=row.seq)`."""
    return await db.call(partial(list_page, **owner, **values(query)))


def page(conn: sqlite3.Connection, table: str, columns: str, query: ListQuery, where: str = "1", args: tuple = (),
         cursor_seq: pages.CursorSeq | None = None) -> tuple[list[Any], bool]:
    """store.pages.page with the query's paging, for the routes that still pass their own
    table and clause (tokens, webhook endpoints); the others call their store's list function."""
    check(query)
    return pages.page(conn, table, columns, query.limit, query.starting_after, query.ending_before, where, args,
                      cursor_seq)


def envelope(data: list[Any], has_more: bool, url: str) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
