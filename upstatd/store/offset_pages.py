"""Offset pages of a table, for API dialects that page by `limit`/`offset` and
report a `total` (UptimeIO): rows matching a `pages.Where`, sorted by one of the
columns a caller allows, ties broken by `seq` so that pages never overlap.

An offset page shifts when rows are inserted while a client walks the list;
that is the dialect's contract, not upstatd's (whose own lists use cursors).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from upstatd.store.pages import Where


def page(conn: sqlite3.Connection, table: str, columns: str, where: Where, *, sort_by: str, descending: bool,
         limit: int, offset: int) -> tuple[list[Any], int]:
    """(rows of the page, how many rows match in all). `sort_by` must be a column name
    the caller checked against its own list: it goes into the SQL as it is."""
    order = "DESC" if descending else "ASC"
    total = conn.execute(f"SELECT count(*) FROM {table} WHERE {where.sql}", tuple(where.args)).fetchone()[0]
    rows = list(conn.execute(
        f"SELECT {columns} FROM {table} WHERE {where.sql} ORDER BY {sort_by} {order}, seq {order} "
        f"LIMIT ? OFFSET ?", (*where.args, limit, offset)).fetchall())
    return rows, total
