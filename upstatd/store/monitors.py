"""The monitors table: reconciling the YAML monitors into it, monitors made
over the API, pauses, state changes, and the status summary that
`upstatd status` prints."""

from __future__ import annotations

import sqlite3
import time
from typing import NamedTuple

import msgspec

from upstatd.config.schema import MonitorSpec
from upstatd.ids import new_ids
from upstatd.monitors.evaluate import STATES
from upstatd.probes import PROBES
from upstatd.store import groups, pages, status_pages

# The vocabularies of the filterable columns (the public shapes use them too).
CURRENT_STATES = (*STATES, "maintenance")
STATUSES = ("active", "paused")
MANAGERS = ("config", "api")


class StoredMonitor(NamedTuple):
    seq: int
    id: str
    state: str
    since: float  # wall seconds
    status: str = "active"          # or "paused"
    resume_at: float | None = None  # wall seconds: a pause that ends by itself
    created_at: int = 0             # Unix ms: with the two below, what the public shape needs
    updated_at: int = 0
    paused_at: int | None = None
    group_id: str | None = None     # grp_…: its group, for the public shape


def spec_document(spec: MonitorSpec) -> dict:
    """What the `spec` column holds, decoded."""
    return {
        "confirmation": msgspec.structs.asdict(spec.confirmation),
        "severity": spec.severity,
        "tags": list(spec.tags),
        "metadata": spec.metadata,
        spec.type: spec.options,
        # only when set: rows from before keep their spec as it was
        **({} if spec.alert_channels is None else {"alert_channels": list(spec.alert_channels)}),
        **({} if spec.reminder_interval is None else {"reminder_interval": spec.reminder_interval}),
        **({} if spec.group is None else {"group": spec.group}),
        **({} if spec.escalation_policy is None else {"escalation_policy": spec.escalation_policy}),
        **({} if spec.service is None else {"service": spec.service}),
        **({} if spec.regions is None else {"regions": list(spec.regions)}),
        **({} if spec.quorum is None else {"quorum": spec.quorum.value()}),
    }


def same_spec(row: MonitorRow, spec: MonitorSpec) -> bool:
    """The row already holds this spec: an update would change nothing."""
    document = msgspec.json.decode(msgspec.json.encode(spec_document(spec)))
    return (row.name, row.type, row.url, row.interval_ms, row.timeout_ms, row.spec, row.metadata) == \
        (spec.name, spec.type, spec.url, round(spec.interval * 1000), round(spec.timeout * 1000), document,
         spec.metadata)


def spec_columns(spec: MonitorSpec) -> tuple:
    """The stored form of a spec: (name, type, url, interval_ms, timeout_ms, spec JSON)."""
    return (spec.name, spec.type, spec.url, round(spec.interval * 1000), round(spec.timeout * 1000),
            msgspec.json.encode(spec_document(spec)).decode())


def reconcile(conn: sqlite3.Connection, specs: tuple[MonitorSpec, ...] | list[MonitorSpec],
                    now: float) -> dict[str, StoredMonitor]:
    """Make the config-managed rows match `specs` (inside the caller's transaction).

    New keys are inserted as pending, changed ones updated with their state
    kept, removed ones deleted with their history. Returns key -> stored row.
    Statements go in batches: a start with 100,000 new monitors is one
    executemany, not 100,000 round trips to the database thread. The groups
    the file names (`group:`) are made first and those it no longer names
    deleted last (store/groups.py).
    """
    now_ms = round(now * 1000)
    names = {spec.group for spec in specs if spec.group is not None}
    group_ids = groups.ensure_config(conn, "monitor", names, now_ms)
    stored = {row[0]: tuple(row) for row in conn.execute(
        "SELECT key, seq, id, current_state, state_since, status, resume_at, created_at, updated_at, paused_at, "
        "name, type, url, interval_ms, timeout_ms, spec, group_id "
        "FROM monitors WHERE managed_by = 'config'").fetchall()}
    next_seq = new_seq(conn)
    fresh_ids = iter(new_ids("mon", sum(spec.key not in stored for spec in specs)))
    out: dict[str, StoredMonitor] = {}
    inserts, updates = [], []
    for spec in specs:
        group_id = None if spec.group is None else group_ids[spec.group]
        columns = (*spec_columns(spec), group_id)
        row = stored.pop(spec.key, None)
        if row is None:
            monitor_id = next(fresh_ids)
            inserts.append((next_seq, monitor_id, spec.key, *columns, _metadata(spec), now_ms, now_ms, now_ms))
            out[spec.key] = StoredMonitor(next_seq, monitor_id, "pending", now, created_at=now_ms, updated_at=now_ms,
                                          group_id=group_id)
            next_seq += 1
            continue
        _, seq, monitor_id, state, since_ms, status, resume_at_ms, created_ms, updated_ms, paused_ms = row[:10]
        if row[10:] != columns:
            updates.append((*columns, _metadata(spec), now_ms, seq))
            updated_ms = now_ms
        # A pause (over the API) is the database's: a reload or restart keeps it.
        out[spec.key] = StoredMonitor(seq, monitor_id, state, since_ms / 1000, status,
                                      None if resume_at_ms is None else resume_at_ms / 1000,
                                      created_ms, updated_ms, paused_ms, group_id)
    conn.executemany(
        "INSERT INTO monitors (seq, id, key, managed_by, name, type, url, interval_ms, timeout_ms, spec, "
        "group_id, metadata, current_state, state_since, created_at, updated_at) "
        "VALUES (?, ?, ?, 'config', ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)", inserts)
    conn.executemany(
        "UPDATE monitors SET name = ?, type = ?, url = ?, interval_ms = ?, timeout_ms = ?, spec = ?, "
        "group_id = ?, metadata = ?, updated_at = ? WHERE seq = ?", updates)
    delete_history(conn, [row[1] for row in stored.values()])
    groups.prune_config(conn, "monitor", names)
    return out


def new_seq(conn: sqlite3.Connection) -> int:
    """A seq no monitor ever had: above every monitor and every row pointing at one
    (a result in flight when its monitor was deleted may land after the delete),
    so lists cut on seq only ever grow at the top and no history is inherited."""
    (seq,) = (conn.execute(
        "SELECT max(coalesce((SELECT max(seq) FROM monitors), 0), "
        "coalesce((SELECT max(monitor_seq) FROM checks), 0), "
        "coalesce((SELECT max(monitor_seq) FROM state_changes), 0)) + 1").fetchall())[0]
    return seq


def _metadata(spec: MonitorSpec) -> str:
    return msgspec.json.encode(spec.metadata).decode()


def delete_history(conn: sqlite3.Connection, seqs: list[int]) -> None:
    """Delete monitors with everything recorded about them."""
    removed = [(seq,) for seq in seqs]
    status_pages.delete_subjects(conn, "monitor", seqs)  # pages stop showing it, in the same transaction
    for sql in ("DELETE FROM checks WHERE monitor_seq = ?", "DELETE FROM rollups WHERE monitor_seq = ?",
                "DELETE FROM state_changes WHERE monitor_seq = ?",
                "DELETE FROM monitor_pauses WHERE monitor_seq = ?",
                "DELETE FROM monitor_latency WHERE monitor_seq = ?",
                "DELETE FROM monitor_regions WHERE monitor_seq = ?",
                "DELETE FROM monitors WHERE seq = ?"):
        conn.executemany(sql, removed)


# -- one monitor, as the API reads and writes it ------------------------------

class MonitorRow(NamedTuple):
    """A monitors row as stored (times in Unix ms), spec and metadata decoded."""
    seq: int
    id: str
    key: str | None
    managed_by: str
    name: str
    type: str
    url: str
    interval_ms: int
    timeout_ms: int
    spec: dict          # confirmation, severity, tags, metadata, and the type block
    status: str
    current_state: str
    state_since: int
    paused_at: int | None
    resume_at: int | None
    metadata: dict
    created_at: int
    updated_at: int
    last_check_at: int | None
    group_id: str | None = None
    escalation_policy: str | None = None   # esc_…: its policy (None: the default); its spec's, as an id
    service_id: str | None = None          # svc_…: the catalog service it belongs to; its spec's, as an id

    def stored(self) -> StoredMonitor:
        """What the scheduler needs to run it."""
        return StoredMonitor(self.seq, self.id, self.current_state, self.state_since / 1000, self.status,
                             None if self.resume_at is None else self.resume_at / 1000,
                             self.created_at, self.updated_at, self.paused_at, self.group_id)


TABLE = "monitors"
COLUMNS = ("seq, id, key, managed_by, name, type, url, interval_ms, timeout_ms, spec, status, current_state, "
           "state_since, paused_at, resume_at, metadata, created_at, updated_at, "
           "(SELECT created_at FROM checks WHERE monitor_seq = monitors.seq ORDER BY seq DESC LIMIT 1), group_id, "
           "escalation_policy, service_id")


def from_row(row) -> MonitorRow:
    values = list(row)
    values[9] = msgspec.json.decode(values[9])
    values[15] = msgspec.json.decode(values[15])
    return MonitorRow(*values)


def get(conn: sqlite3.Connection, monitor_id: str) -> MonitorRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM monitors WHERE id = ?", (monitor_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> MonitorRow:
    rows = conn.execute(f"SELECT {COLUMNS} FROM monitors WHERE seq = ?", (seq,)).fetchall()
    return from_row(rows[0])


def list_page(conn: sqlite3.Connection, *, status: str | None = None, current_state: str | None = None,
              type: str | None = None, tag: str | None = None, managed_by: str | None = None,
              group_id: str | None = None, service_id: str | None = None, created_gte: int | None = None,
              created_lte: int | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None
              ) -> tuple[list[MonitorRow], bool]:
    """One page of monitors, newest first, and whether more exist (store.pages)."""
    where = (pages.Where()
             .equal("status", status, "status", STATUSES)
             .equal("current_state", current_state, "current_state", CURRENT_STATES)
             .equal("type", type, "type", tuple(PROBES))
             .equal("managed_by", managed_by, "managed_by", MANAGERS)
             .equal("group_id", group_id)
             .equal("service_id", service_id)
             .tagged(TABLE, tag)
             .created(created_gte, created_lte))
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [from_row(row) for row in rows], has_more


def api_monitors(conn: sqlite3.Connection) -> list[MonitorRow]:
    """Every monitor made over the API, oldest first (the daemon schedules them at start)."""
    return [from_row(row) for row in conn.execute(
        f"SELECT {COLUMNS} FROM monitors WHERE managed_by = 'api' ORDER BY seq").fetchall()]


def insert(conn: sqlite3.Connection, monitor_id: str, spec: MonitorSpec, now_ms: int,
           group_id: str | None = None) -> MonitorRow:
    """A monitor made over the API: no key, pending, active."""
    seq = new_seq(conn)
    conn.execute(
        "INSERT INTO monitors (seq, id, key, managed_by, name, type, url, interval_ms, timeout_ms, spec, "
        "group_id, metadata, current_state, state_since, created_at, updated_at) "
        "VALUES (?, ?, NULL, 'api', ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
        (seq, monitor_id, *spec_columns(spec), group_id, _metadata(spec), now_ms, now_ms, now_ms))
    return by_seq(conn, seq)


def update(conn: sqlite3.Connection, seq: int, spec: MonitorSpec, now_ms: int,
           group_id: str | None = None) -> MonitorRow:
    conn.execute(
        "UPDATE monitors SET name = ?, type = ?, url = ?, interval_ms = ?, timeout_ms = ?, spec = ?, "
        "group_id = ?, metadata = ?, updated_at = ? WHERE seq = ?",
        (*spec_columns(spec), group_id, _metadata(spec), now_ms, seq))
    return by_seq(conn, seq)


def pause(conn: sqlite3.Connection, seq: int, now_ms: int, resume_at_ms: int | None) -> MonitorRow:
    """Pause (a paused monitor only gets the new resume_at; its pause goes on)."""
    conn.execute(
        "INSERT INTO monitor_pauses (monitor_seq, started_at) "
        "SELECT seq, ? FROM monitors WHERE seq = ? AND status = 'active'", (now_ms, seq))
    conn.execute(
        "UPDATE monitors SET status = 'paused', paused_at = coalesce(paused_at, ?), resume_at = ?, "
        "updated_at = ? WHERE seq = ?", (now_ms, resume_at_ms, now_ms, seq))
    return by_seq(conn, seq)


RESUME = (
    ("UPDATE monitor_pauses SET ended_at = ? WHERE monitor_seq = ? AND ended_at IS NULL"),
    ("UPDATE monitors SET status = 'active', paused_at = NULL, resume_at = NULL, updated_at = ? "
     "WHERE seq = ? AND status = 'paused'"),
)


def resume_statements(seq: int, now_ms: int) -> list[tuple[str, tuple]]:
    """End a pause: the same statements for the API and for a resume_at that came."""
    return [(sql, (now_ms, seq)) for sql in RESUME]


def resume(conn: sqlite3.Connection, seq: int, now_ms: int) -> MonitorRow:
    for sql, params in resume_statements(seq, now_ms):
        conn.execute(sql, params)
    return by_seq(conn, seq)


SET_STATE = "UPDATE monitors SET current_state = ?, state_since = ? WHERE seq = ?"
INSERT_STATE_CHANGE = (
    "INSERT INTO state_changes (monitor_seq, created_at, from_state, to_state, check_seq, "
    "error_kind, error_message) VALUES (?, ?, ?, ?, ?, ?, ?)")

STATUS_QUERY = """
SELECT m.key, m.name, m.type, m.url, m.status, m.current_state, m.state_since,
       c.created_at, c.latency_us, c.status_code, c.error_kind, c.error_message, m.seq, m.created_at
FROM monitors AS m
LEFT JOIN checks AS c ON c.seq = (SELECT max(seq) FROM checks WHERE monitor_seq = m.seq)
ORDER BY m.key
"""


def read_status(conn: sqlite3.Connection, now_ms: int | None = None) -> list[dict]:
    """One dict per monitor, with the names of DESIGN.md's `upstatd status --json`, and its
    uptime over the last 24 hours (as /status computes it)."""
    from upstatd.monitors.uptime import uptime
    from upstatd.store.uptime import DAY_MS, history, pauses
    now_ms = round(time.time() * 1000) if now_ms is None else now_ms
    out = []
    for row in conn.execute(STATUS_QUERY).fetchall():
        (key, name, kind, url, status, state, since_ms, checked_ms, latency_us, status_code,
         error_kind, error_message, seq, created_ms) = row
        since_day = now_ms - DAY_MS
        percent = uptime(history(conn, seq, created_ms, since_day), pauses(conn, seq, since_day), since_day, now_ms)
        out.append({
            "key": key,
            "name": name,
            "type": kind,
            "url": url,
            "status": status,
            "state": state,
            "since": since_ms // 1000,
            "last_check_at": None if checked_ms is None else checked_ms // 1000,
            "latency_ms": None if latency_us is None else round(latency_us / 1000, 1),
            "status_code": status_code,
            "last_error": None if error_kind is None else {"kind": error_kind, "message": error_message},
            "uptime_24h": None if percent is None else round(percent, 3),
        })
    return out
