"""The checks table: one row per probe result, the hottest table.

Rows are numbered here (`seq`, from which the public `chk_…` id is derived),
not by SQLite, so a state change and its event can name the check in the
same batch that inserts it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from upstatd.store import pages
from upstatd.store.uptime import CHECK_COLUMNS
from upstatd.store.writer import Writer

COLUMNS = ("seq", "monitor_seq", "created_at", "ok", "state", "latency_us", "status_code",
           "error_kind", "error_message", "resolve_us", "connect_us", "tls_us",
           "first_byte_us", "transfer_us", "details")
INSERT = f"INSERT INTO checks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
# an agent's result: the region's number (agents.region_numbers) as the last column
INSERT_IN_REGION = (f"INSERT INTO checks ({', '.join(COLUMNS)}, region) "
                    f"VALUES ({', '.join('?' for _ in COLUMNS)}, ?)")
MAX_PENDING = 200_000  # checks waiting while the disk is full; older ones are dropped beyond


def next_seq(conn: sqlite3.Connection) -> int:
    (seq,) = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM checks").fetchone()
    return seq


def list_page(conn: sqlite3.Connection, monitor_seq: int, *, ok: bool | None = None,
              region: str | None = None, own_region: str | None = None,
              created_gte: int | None = None, created_lte: int | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None) -> tuple[list[Any], bool]:
    """One page of a monitor's checks (rows of CHECK_COLUMNS), newest first; cursors are chk_ ids.
    `region`: those probed from it (`own_region`, the daemon's, is the rows that name none)."""
    where = (pages.Where("monitor_seq = ?", monitor_seq)
             .equal("ok", None if ok is None else int(ok))
             .created(created_gte, created_lte))
    if region is not None and region == own_region:
        where.add("region IS NULL")
    elif region is not None:
        where.add("region = (SELECT seq FROM regions WHERE name = ?)", region)
    return pages.page(conn, "checks", CHECK_COLUMNS, limit, starting_after, ending_before, where,
                      cursor_seq=pages.child_cursor("chk", "checks", "monitor_seq", monitor_seq))


def failed_between(conn: sqlite3.Connection, monitor_seq: int, since_ms: int, until_ms: int,
                   limit: int) -> list[Any]:
    """A monitor's failed checks from `since_ms` to `until_ms` (both inclusive), newest first."""
    return conn.execute(
        f"SELECT {CHECK_COLUMNS} FROM checks WHERE monitor_seq = ? AND ok = 0 "
        f"AND created_at >= ? AND created_at <= ? ORDER BY seq DESC LIMIT ?",
        (monitor_seq, since_ms, until_ms, limit)).fetchall()


class CheckLog:
    """Queues check rows on the writer, numbering them."""

    def __init__(self, writer: Writer, first_seq: int) -> None:
        self.writer = writer
        self._next = first_seq

    def add(self, row: tuple, sql: str = INSERT, *more: Any) -> int:
        """Queue a check (every column but seq, then `more` for `sql`'s extra columns); returns its seq."""
        seq = self._next
        self._next += 1
        self.writer.add_row(sql, (seq, *row, *more), cap=MAX_PENDING)
        return seq
