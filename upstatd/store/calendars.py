"""What the `.ics` feed and the handoff timers read and write of
on_call_schedules (migration 0018): the feed's secret (its sha256 only) and
who the last on_call.changed said is on call. Times are Unix ms."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

TABLE = "on_call_schedules"
SET_ON_CALL = f"UPDATE {TABLE} SET on_call_user_id = ? WHERE id = ?"


class ScheduleHead(NamedTuple):
    id: str
    name: str
    calendar_secret: str | None   # sha256 hex; None: no feed
    on_call_user_id: str | None
    updated_at: int


def heads(conn: sqlite3.Connection, schedule_id: str | None = None) -> list[ScheduleHead]:
    """Every schedule's row (or the one `schedule_id`), without its layers."""
    sql = f"SELECT id, name, calendar_secret, on_call_user_id, updated_at FROM {TABLE}"
    rows = conn.execute(sql + " ORDER BY seq" if schedule_id is None else sql + " WHERE id = ?",
                        () if schedule_id is None else (schedule_id,)).fetchall()
    return [ScheduleHead(*row) for row in rows]


def set_secret(conn: sqlite3.Connection, schedule_id: str, secret_hash: str | None) -> bool:
    """Store (or with None, clear) the feed's secret hash; False: no such schedule. The
    schedule's updated_at is left alone: it stamps the feed's events (DTSTAMP)."""
    return conn.execute(f"UPDATE {TABLE} SET calendar_secret = ? WHERE id = ?",
                        (secret_hash, schedule_id)).rowcount > 0
