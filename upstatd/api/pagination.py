"""Cursor pagination, the API side: `limit` (1-100, default 10) and exclusive
`starting_after` / `ending_before` object ids (ListQuery), the list envelope.
The pages themselves are cut in the store (upstatd.store.pages), newest first."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from upstatd.api.bodies import MAX_TIMESTAMP
from upstatd.api.errors import invalid

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


def values(query: msgspec.Struct) -> dict[str, Any]:
    """A list query as the plain keyword values of the store's list functions (filters and paging)."""
    return msgspec.structs.asdict(query)


async def fetch(db: Any, list_page: Callable[..., T], query: msgspec.Struct, **owner: Any) -> T:
    """`list_page(conn, **owner, **filters and paging of query)` on the read connection `db`:
    `found, has_more = await pagination.fetch(conn, store.pings_page, query, heartbeat_seq=row.seq)`."""
    return await db.call(partial(list_page, **owner, **values(query)))


def envelope(data: list[Any], has_more: bool, url: str) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
