"""Cursor pagination, newest first: `limit` (1-100, default 10) and exclusive
`starting_after` / `ending_before` object ids. Pages are cut on the internal
`seq`, which only grows, so inserts made while a client walks the list never
shift what it has not seen yet."""

from __future__ import annotations

from typing import Any

import aiosqlite
import msgspec

from upstatd.api.errors import invalid


class ListQuery(msgspec.Struct, forbid_unknown_fields=False):
    limit: int = 10
    starting_after: str | None = None
    ending_before: str | None = None


def check(query: ListQuery) -> None:
    if not 1 <= query.limit <= 100:
        raise invalid(f"limit must be between 1 and 100, got {query.limit}", "limit")
    if query.starting_after and query.ending_before:
        raise invalid("give starting_after or ending_before, not both", "ending_before")


async def page(conn: aiosqlite.Connection, table: str, columns: str, query: ListQuery,
               where: str = "1", args: tuple = ()) -> tuple[list[Any], bool]:
    """Rows of `table` matching `where`, one page of them, and whether more exist
    beyond the page in the direction of travel."""
    check(query)
    cursor_id = query.starting_after or query.ending_before
    sql_where, sql_args = where, list(args)
    if cursor_id:
        rows = await conn.execute_fetchall(f"SELECT seq FROM {table} WHERE id = ?", (cursor_id,))
        if not rows:
            param = "starting_after" if query.starting_after else "ending_before"
            raise invalid(f"no object with id '{cursor_id}' to page from", param)
        sql_where += " AND seq < ?" if query.starting_after else " AND seq > ?"
        sql_args.append(rows[0][0])
    order = "ASC" if query.ending_before else "DESC"
    rows = list(await conn.execute_fetchall(
        f"SELECT {columns} FROM {table} WHERE {sql_where} ORDER BY seq {order} LIMIT ?",
        (*sql_args, query.limit + 1)))
    has_more = len(rows) > query.limit
    rows = rows[:query.limit]
    if query.ending_before:
        rows.reverse()
    return rows, has_more


def envelope(data: list[Any], has_more: bool, url: str) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
