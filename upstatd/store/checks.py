"""The checks table: one row per probe result, the hottest table.

Rows are numbered here (`seq`, from which the public `chk_…` id is derived),
not by SQLite, so a state change and its event can name the check in the
same batch that inserts it.
"""

from __future__ import annotations

import sqlite3

from upstatd.store.writer import Writer

COLUMNS = ("seq", "monitor_seq", "created_at", "ok", "state", "latency_us", "status_code",
           "error_kind", "error_message", "resolve_us", "connect_us", "tls_us",
           "first_byte_us", "transfer_us", "details")
INSERT = f"INSERT INTO checks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
MAX_PENDING = 200_000  # checks waiting while the disk is full; older ones are dropped beyond


def next_seq(conn: sqlite3.Connection) -> int:
    (seq,) = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM checks").fetchone()
    return seq


class CheckLog:
    """Queues check rows on the writer, numbering them."""

    def __init__(self, writer: Writer, first_seq: int) -> None:
        self.writer = writer
        self._next = first_seq

    def add(self, row: tuple) -> int:
        """Queue a check (every column but seq); returns its seq."""
        seq = self._next
        self._next += 1
        self.writer.add_row(INSERT, (seq, *row), cap=MAX_PENDING)
        return seq
