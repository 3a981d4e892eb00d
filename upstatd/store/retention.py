"""Pruning the history tables beside checks and rollups (store/rollups.py):
events, webhook deliveries, alerts and alert attempts. Plain sqlite3, one
writer transaction per call.

Each call looks at one window of at most BATCH rows (by seq, after `after`)
and deletes those of them older than `before_ms` that nothing needs any
more; it returns (rows deleted, the `after` of the next window, or None when
the window reached rows too young to go). Rows are numbered as they come, so
the old ones are the lowest seqs: no index on time is needed, and a window
of rows that must stay (an open incident's alerts) is stepped over, not
read again and again in one pass.

What is never deleted, whatever its age:

- the newest row of each table: seqs are given as max(seq) + 1, and the
  consumers' cursors (an endpoint's event seq, a channel's alert seq) and
  the ids made from seqs (whd_) must never see a number again;
- an event an enabled webhook endpoint is not done with (seq past its
  cursor), and the delivery attempts of such an event (a restart resumes
  their count and wait from them);
- an alert its channel's consumer has not passed (queued, seq past the
  cursor), a suppressed alert whose digest is still to go, a digest whose
  members are still there, and every alert of an incident still open or
  acknowledged (reminders and "told" are rebuilt from them at start:
  alerts/dispatcher.py load_told);
- an alert attempt whose alert is still there.

A disabled endpoint or channel restarts from the newest row when enabled
again (store/webhooks.py, store/alerts.py set_enabled), so what it left
behind needs no keeping.
"""

from __future__ import annotations

import sqlite3

BATCH = 5_000  # rows looked at (and so at most deleted) per call

# alert `a`'s consumer is done with it: sent or given up, or its channel's cursor is past it (or the
# channel is gone)
_ALERT_DONE = ("({a}.status IN ('sent', 'failed') OR {a}.seq <= coalesce("
               "(SELECT cursor FROM alert_channels WHERE seq = {a}.channel_seq), {a}.seq))")

ELIGIBLE = {
    "events": "x.seq <= :events_done",
    "webhook_deliveries": (
        "NOT EXISTS (SELECT 1 FROM events e JOIN webhook_endpoints w ON w.seq = x.endpoint_seq "
        "WHERE e.id = x.event_id AND e.seq > w.cursor)"),
    "alerts": (
        "NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = x.incident_id AND i.status IN ('open', 'acknowledged')) "
        "AND CASE WHEN x.status = 'suppressed' "
        "THEN NOT EXISTS (SELECT 1 FROM alerts g WHERE g.id = x.digest_id AND NOT " + _ALERT_DONE.format(a="g") + ") "
        "ELSE " + _ALERT_DONE.format(a="x") + " END "
        "AND (x.reason != 'digest' OR NOT EXISTS (SELECT 1 FROM alerts m WHERE m.digest_id = x.id))"),
    "alert_attempts": "NOT EXISTS (SELECT 1 FROM alerts a WHERE a.id = x.event_id)",
}
TABLES = tuple(ELIGIBLE)  # in this order: an alert's attempts go in the pass its alert went


def prune(conn: sqlite3.Connection, table: str, after: int, before_ms: int,
          batch: int = BATCH) -> tuple[int, int | None]:
    """One window of `table` (a name of TABLES): (rows deleted, the next window's `after` or None)."""
    where = ELIGIBLE[table]  # table names come from this module, never from input
    last = conn.execute(f"SELECT seq, created_at FROM {table} WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?",
                        (after, batch - 1)).fetchone()
    (newest,) = conn.execute(f"SELECT coalesce(max(seq), 0) FROM {table}").fetchone()
    params = {"after": after, "upto": newest if last is None else last[0], "newest": newest,
              "before": before_ms}
    if table == "events":
        params["events_done"] = events_done(conn, newest)
    removed = conn.execute(
        f"DELETE FROM {table} WHERE seq IN (SELECT x.seq FROM {table} AS x WHERE x.seq > :after "
        f"AND x.seq <= :upto AND x.seq < :newest AND x.created_at < :before AND {where})", params).rowcount
    more = last is not None and last[1] < before_ms  # a full window of old rows: the next may hold more
    return removed, last[0] if more else None


def due(conn: sqlite3.Connection, table: str, before_ms: int) -> bool:
    """Whether the table's oldest row (but the newest) is past `before_ms`: a pass with
    nothing to delete asks this on the read connection and takes no writer time."""
    row = conn.execute(f"SELECT seq, created_at, (SELECT max(seq) FROM {table}) FROM {table} "
                       "ORDER BY seq LIMIT 1").fetchone()
    return row is not None and row[0] < row[2] and row[1] < before_ms


def events_done(conn: sqlite3.Connection, newest: int) -> int:
    """The last event seq every enabled webhook endpoint is done with (`newest` with none)."""
    (done,) = conn.execute("SELECT min(cursor) FROM webhook_endpoints WHERE enabled = 1").fetchone()
    return newest if done is None else done
