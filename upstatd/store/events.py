"""Reading the events table (the outbox, kept 30 days): the pages and objects
of /api/events. Writing is upstatd.events', pruning store/retention.py's."""

from __future__ import annotations

import sqlite3

from upstatd.errors import Malformed
from upstatd.events import TYPES, Event, event_from_row
from upstatd.store import pages

TABLE = "events"
COLUMNS = "id, type, created_at, data"


def list_page(conn: sqlite3.Connection, *, type: str | None = None, created_gte: int | None = None,
              created_lte: int | None = None, limit: int, starting_after: str | None = None,
              ending_before: str | None = None) -> tuple[list[Event], bool]:
    """One page of events, newest first; `type` is an event type or a prefix pattern like incident.*."""
    where = pages.Where()
    if type is not None:
        if type.endswith(".*"):
            prefix = type[:-1]
            if not any(known.startswith(prefix) for known in TYPES):
                raise Malformed(f"type: no event type starts with '{prefix}' (types: {', '.join(TYPES)})", "type")
            where.add("substr(type, 1, ?) = ?", len(prefix), prefix)
        else:
            if type not in TYPES:
                raise Malformed(f"type must be an event type or a pattern like incident.*, got '{type}' "
                                f"(types: {', '.join(TYPES)})", "type")
            where.add("type = ?", type)
    where.created(created_gte, created_lte)
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [event_from_row(row) for row in rows], has_more


def get(conn: sqlite3.Connection, event_id: str) -> Event | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchall()
    return event_from_row(rows[0]) if rows else None
