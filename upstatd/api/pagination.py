"""Cursor pagination, newest first: `limit` (1-100, default 10) and exclusive
`starting_after` / `ending_before` object ids. Pages are cut on the internal
`seq`, which only grows, so inserts made while a client walks the list never
shift what it has not seen yet."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal

import msgspec

from upstatd.api.bodies import MAX_TIMESTAMP
from upstatd.api.errors import invalid, unprocessable

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


def page(conn: sqlite3.Connection, table: str, columns: str, query: ListQuery,
               where: str = "1", args: tuple = (),
               cursor_seq: Callable[[sqlite3.Connection, str], int | None] | None = None) -> tuple[list[Any], bool]:
    """Rows of `table` matching `where`, one page of them, and whether more exist
    beyond the page in the direction of travel. `cursor_seq` finds the seq of the
    object a cursor names (default: by the table's `id` column)."""
    check(query)
    cursor_id = query.starting_after or query.ending_before
    sql_where, sql_args = where, list(args)
    if cursor_id:
        if cursor_seq is None:
            rows = conn.execute(f"SELECT seq FROM {table} WHERE id = ?", (cursor_id,)).fetchall()
            seq = rows[0][0] if rows else None
        else:
            seq = cursor_seq(conn, cursor_id)
        if seq is None:
            param = "starting_after" if query.starting_after else "ending_before"
            raise invalid(f"{param}: no object with id '{cursor_id}' in this list to page from", param)
        sql_where += " AND seq < ?" if query.starting_after else " AND seq > ?"
        sql_args.append(seq)
    order = "ASC" if query.ending_before else "DESC"
    rows = list(conn.execute(
        f"SELECT {columns} FROM {table} WHERE {sql_where} ORDER BY seq {order} LIMIT ?",
        (*sql_args, query.limit + 1)).fetchall())
    has_more = len(rows) > query.limit
    rows = rows[:query.limit]
    if query.ending_before:
        rows.reverse()
    return rows, has_more


def envelope(data: list[Any], has_more: bool, url: str) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def created_range(query: Any, where: list[str], args: list) -> None:
    """The filters created_gte / created_lte (Unix seconds, both inclusive) on a
    `created_at` column in ms, added to `where` and `args`."""
    if query.created_gte is not None:
        where.append("created_at >= ?")
        args.append(query.created_gte * 1000)
    if query.created_lte is not None:
        if query.created_gte is not None and query.created_lte < query.created_gte:
            raise invalid(f"created_lte ({query.created_lte}) is before created_gte ({query.created_gte})",
                          "created_lte")
        where.append("created_at < ?")
        args.append((query.created_lte + 1) * 1000)
