"""Cursor pages of a table, newest first: `limit` rows after (`starting_after`,
older) or before (`ending_before`, newer) the object a cursor names. Pages are
cut on the internal `seq`, which only grows, so inserts made while a client
walks a list never shift what it has not seen yet.

Filters are plain values; `Where` turns them into the clause (a None value adds
nothing) and refuses a value outside a column's vocabulary. Refusals are domain
errors: a cursor that names no object of the list, both cursors, a reversed
created range or an unknown enum value are `Malformed` (400), a limit outside
1-100 is `Invalid` (422).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from upstatd.errors import Invalid, Malformed
from upstatd.ids import parse_seq_id

CursorSeq = Callable[[sqlite3.Connection, str], "int | None"]


def one_of(param: str, value: str | None, options: Iterable[str]) -> str | None:
    """`value` when it is None or one of `options`; else the 400 naming them."""
    options = tuple(options)
    if value is not None and value not in options:
        raise Malformed(f"{param} must be one of {', '.join(options)}, got '{value}'", param)
    return value


class Where:
    """A list's WHERE clause and its arguments, built from filter values."""

    def __init__(self, clause: str = "1", *args: Any) -> None:
        self.clauses = [clause]
        self.args = list(args)

    def add(self, clause: str, *args: Any) -> Where:
        self.clauses.append(clause)
        self.args.extend(args)
        return self

    def equal(self, column: str, value: Any, param: str | None = None,
              options: Iterable[str] | None = None) -> Where:
        """`column = value` unless value is None; with `options`, a value outside them is refused."""
        if value is None:
            return self
        if options is not None:
            one_of(param or column, value, options)
        return self.add(f"{column} = ?", value)

    def tagged(self, table: str, tag: str | None) -> Where:
        """Rows whose `spec` lists `tag` among its tags."""
        if tag is None:
            return self
        return self.add(f"EXISTS (SELECT 1 FROM json_each({table}.spec, '$.tags') WHERE value = ?)", tag)

    def created(self, gte: int | None, lte: int | None) -> Where:
        """created_gte / created_lte (Unix seconds, both inclusive) on a `created_at` column in ms."""
        if gte is not None:
            self.add("created_at >= ?", gte * 1000)
        if lte is not None:
            if gte is not None and lte < gte:
                raise Malformed(f"created_lte ({lte}) is before created_gte ({gte})", "created_lte")
            self.add("created_at < ?", (lte + 1) * 1000)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses)


def check(limit: int, starting_after: str | None, ending_before: str | None) -> None:
    if not 1 <= limit <= 100:
        raise Invalid(f"limit must be between 1 and 100, got {limit}", "limit")
    if starting_after and ending_before:
        raise Malformed("give starting_after or ending_before, not both", "ending_before")


def child_cursor(prefix: str, table: str, owner_column: str, owner_seq: int) -> CursorSeq:
    """The cursor of a list of one owner's rows (a monitor's checks, ...): the id
    is derived from the row's seq (ids.seq_id); decode it, then check the row is
    the owner's."""
    def cursor_seq(conn: sqlite3.Connection, cursor: str) -> int | None:
        seq = parse_seq_id(prefix, cursor)
        found = seq is not None and conn.execute(
            f"SELECT 1 FROM {table} WHERE seq = ? AND {owner_column} = ?", (seq, owner_seq)).fetchall()
        return seq if found else None
    return cursor_seq


def page(conn: sqlite3.Connection, table: str, columns: str, limit: int,
         starting_after: str | None = None, ending_before: str | None = None,
         where: str | Where = "1", args: tuple = (),
         cursor_seq: CursorSeq | None = None) -> tuple[list[Any], bool]:
    """Rows of `table` matching `where`, one page of them, and whether more exist
    beyond the page in the direction of travel. `cursor_seq` finds the seq of the
    object a cursor names (default: by the table's `id` column)."""
    check(limit, starting_after, ending_before)
    if isinstance(where, Where):
        where, args = where.sql, tuple(where.args)
    cursor_id = starting_after or ending_before
    sql_where, sql_args = where, list(args)
    if cursor_id:
        if cursor_seq is None:
            rows = conn.execute(f"SELECT seq FROM {table} WHERE id = ?", (cursor_id,)).fetchall()
            seq = rows[0][0] if rows else None
        else:
            seq = cursor_seq(conn, cursor_id)
        if seq is None:
            param = "starting_after" if starting_after else "ending_before"
            raise Malformed(f"{param}: no object with id '{cursor_id}' in this list to page from", param)
        sql_where += " AND seq < ?" if starting_after else " AND seq > ?"
        sql_args.append(seq)
    order = "ASC" if ending_before else "DESC"
    rows = list(conn.execute(
        f"SELECT {columns} FROM {table} WHERE {sql_where} ORDER BY seq {order} LIMIT ?",
        (*sql_args, limit + 1)).fetchall())
    has_more = len(rows) > limit
    rows = rows[:limit]
    if ending_before:
        rows.reverse()
    return rows, has_more
