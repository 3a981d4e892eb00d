"""The heartbeats, pings and heartbeat_flips tables: reconciling the YAML
heartbeats, heartbeats made over the API, the statements the ping path
queues, and the ping key of slug URLs."""

from __future__ import annotations

import secrets
import sqlite3
import time
import uuid
from typing import Any, NamedTuple

import msgspec

from upstatd.config.heartbeats import HeartbeatSpec
from upstatd.heartbeats.deadlines import KINDS as PING_KINDS
from upstatd.heartbeats.deadlines import STATES
from upstatd.heartbeats.schedule import KINDS as SCHEDULE_KINDS
from upstatd.ids import new_ids
from upstatd.store import groups, pages, status_pages

# The vocabularies of the filterable columns (the public shapes use them too).
STATUSES = ("active", "paused")
MANAGERS = ("config", "api")


class HeartbeatConflict(Exception):
    """A YAML token already belongs to a heartbeat made over the API."""


class HeartbeatRow(NamedTuple):
    """A heartbeats row as stored (times in Unix ms), spec and metadata decoded."""
    seq: int
    id: str
    key: str | None
    managed_by: str
    name: str
    slug: str
    token: str
    spec: dict        # schedule, grace, methods, manual_resume, severity, tags
    metadata: dict
    status: str
    current_state: str
    state_since: int
    last_ping_at: int | None
    last_success_at: int | None
    started_at: int | None
    start_rid: str | None
    last_duration_ms: int | None
    paused_at: int | None
    created_at: int
    updated_at: int
    last_n: int       # the number of its newest ping (0: none yet)
    runs: tuple = ()  # the open starts: ((rid or None, started_at ms), ...), oldest first
    group_id: str | None = None  # grp_…: its heartbeat group
    escalation_policy: str | None = None  # esc_…: its policy (None: the default); its spec's, as an id
    service_id: str | None = None  # svc_…: the catalog service it belongs to; its spec's, as an id


TABLE = "heartbeats"
COLUMNS = ("seq, id, key, managed_by, name, slug, token, spec, metadata, status, current_state, state_since, "
           "last_ping_at, last_success_at, started_at, start_rid, last_duration_ms, paused_at, created_at, "
           "updated_at, coalesce((SELECT max(n) FROM pings WHERE heartbeat_seq = heartbeats.seq), 0), runs, group_id, "
           "escalation_policy, service_id")

INSERT_PING = (
    "INSERT INTO pings (heartbeat_seq, n, created_at, kind, exit_status, rid, duration_ms, method, "
    "remote_addr, user_agent, body_size, body, scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
SAVE_STATE = (
    "UPDATE heartbeats SET current_state = ?, state_since = ?, last_ping_at = ?, last_success_at = ?, "
    "started_at = ?, start_rid = ?, last_duration_ms = ?, runs = ? WHERE seq = ?")
INSERT_FLIP = (
    "INSERT INTO heartbeat_flips (heartbeat_seq, created_at, from_state, to_state, reason, ping_n) "
    "VALUES (?, ?, ?, ?, ?, ?)")
PING_COLUMNS = ("seq, n, created_at, kind, exit_status, rid, duration_ms, method, remote_addr, user_agent, "
                "body_size, scheme")


def from_row(row, decoded: dict[str, Any] | None = None) -> HeartbeatRow:
    """`decoded`: JSON text -> its value, shared by the rows read together (100,000 heartbeats
    hold a few distinct specs); rows are values, never changed in place."""
    values = list(row)
    if decoded is None:
        values[7] = msgspec.json.decode(values[7])
        values[8] = msgspec.json.decode(values[8])
    else:
        for index in (7, 8):
            text = values[index]
            value = decoded.get(text)
            if value is None:
                value = decoded[text] = msgspec.json.decode(text)
            values[index] = value
    values[21] = decode_runs(values[21])
    return HeartbeatRow(*values)


def config_rows(conn: sqlite3.Connection) -> dict[str, HeartbeatRow]:
    """key -> row of every config-managed heartbeat."""
    decoded: dict[str, Any] = {}
    return {row.key: row for row in (from_row(values, decoded) for values in conn.execute(
        f"SELECT {COLUMNS} FROM heartbeats WHERE managed_by = 'config'").fetchall())}


def decode_runs(stored: str | None) -> tuple:
    return () if not stored else tuple((rid, at) for rid, at in msgspec.json.decode(stored))


def encode_runs(runs) -> str | None:
    """((rid, started_at ms), ...) -> the runs column."""
    return msgspec.json.encode([list(run) for run in runs]).decode() if runs else None


def spec_columns(spec: HeartbeatSpec) -> tuple:
    """The stored form: (name, slug, spec JSON, metadata JSON)."""
    rest = {
        "schedule": msgspec.structs.asdict(spec.schedule),
        "grace": spec.grace,
        "methods": spec.methods,
        "manual_resume": spec.manual_resume,
        "severity": spec.severity,
        "tags": list(spec.tags),
    }
    if spec.body_keywords is not None:  # only when set: rows from before keep their spec as it was
        rest["body_keywords"] = msgspec.structs.asdict(spec.body_keywords)
    if spec.alert_channels is not None:
        rest["alert_channels"] = list(spec.alert_channels)
    if spec.reminder_interval is not None:
        rest["reminder_interval"] = spec.reminder_interval
    if spec.group is not None:
        rest["group"] = spec.group
    if spec.escalation_policy is not None:
        rest["escalation_policy"] = spec.escalation_policy
    if spec.service is not None:
        rest["service"] = spec.service
    return (spec.name, spec.slug, msgspec.json.encode(rest).decode(), msgspec.json.encode(spec.metadata).decode())


def same_spec(row: HeartbeatRow, spec: HeartbeatSpec, token: str) -> bool:
    """The row already holds this spec and token: an update would change nothing."""
    name, slug, document, labels = spec_columns(spec)
    return (row.name, row.slug, row.spec, row.metadata, row.token) == \
        (name, slug, msgspec.json.decode(document), msgspec.json.decode(labels), token)


def new_token() -> str:
    return str(uuid.uuid4())


def new_seq(conn: sqlite3.Connection) -> int:
    """A seq no heartbeat ever had, so no orphan ping or flip is inherited."""
    (seq,) = (conn.execute(
        "SELECT max(coalesce((SELECT max(seq) FROM heartbeats), 0), "
        "coalesce((SELECT max(heartbeat_seq) FROM pings), 0), "
        "coalesce((SELECT max(heartbeat_seq) FROM heartbeat_flips), 0)) + 1").fetchall())[0]
    return seq


def reconcile(conn: sqlite3.Connection, specs: tuple[HeartbeatSpec, ...],
                    now: float) -> dict[str, HeartbeatRow]:
    """Make the config-managed rows match `specs` (inside the caller's transaction):
    new keys inserted as `new`, changed ones updated with their state kept,
    removed ones deleted with their pings. A token left out of the YAML is
    generated once and kept. The groups the file names (`group:`) are made first
    and those it no longer names deleted last (store/groups.py). Returns key -> row."""
    now_ms = round(now * 1000)
    names = {spec.group for spec in specs if spec.group is not None}
    group_ids = groups.ensure_config(conn, "heartbeat", names, now_ms)
    stored = config_rows(conn)
    tokens = {row[0]: row[1] for row in conn.execute(
        "SELECT token, coalesce(key, id) FROM heartbeats").fetchall()}
    wanted = {spec.key for spec in specs}
    gone = [row for key, row in stored.items() if key not in wanted]
    for row in gone:  # their tokens are free for the heartbeats that stay
        tokens.pop(row.token, None)
    next_seq = new_seq(conn)
    fresh_ids = iter(new_ids("hbt", sum(spec.key not in stored for spec in specs)))
    inserts, updates = [], []
    made: dict[str, HeartbeatRow] = {}  # the inserted rows as they read back, without reading them
    decoded: dict[str, Any] = {}
    for spec in specs:
        row = stored.get(spec.key)
        token = spec.token or (row.token if row is not None else new_token())
        owner = tokens.get(token)
        if owner is not None and owner != spec.key:
            raise HeartbeatConflict(f"heartbeat '{spec.key}': token {token} already belongs to heartbeat "
                                    f"{owner}; give this one another token")
        tokens[token] = spec.key
        name, slug, spec_json, metadata = spec_columns(spec)
        group_id = None if spec.group is None else group_ids[spec.group]
        if row is None:
            heartbeat_id = next(fresh_ids)
            inserts.append((next_seq, heartbeat_id, spec.key, name, slug, token, spec_json, metadata, group_id,
                            now_ms, now_ms, now_ms))
            document = decoded.get(spec_json)
            if document is None:
                document = decoded[spec_json] = msgspec.json.decode(spec_json)
            # a new seq has no pings (new_seq), so last_n is 0; the rest are the columns' defaults
            made[spec.key] = HeartbeatRow(next_seq, heartbeat_id, spec.key, "config", name, slug, token, document,
                                          spec.metadata, "active", "new", now_ms, None, None, None, None, None,
                                          None, now_ms, now_ms, 0, (), group_id)
            next_seq += 1
        elif (row.name, row.slug, row.token, row.spec, row.metadata, row.group_id) != \
                (name, slug, token, msgspec.json.decode(spec_json), spec.metadata, group_id):
            updates.append((name, slug, token, spec_json, metadata, group_id, now_ms, row.seq))
    # Removed ones first: a token they held may now belong to another heartbeat.
    delete_history(conn, [row.seq for row in gone])
    conn.executemany(
        "UPDATE heartbeats SET name = ?, slug = ?, token = ?, spec = ?, metadata = ?, group_id = ?, updated_at = ? "
        "WHERE seq = ?", updates)
    conn.executemany(
        "INSERT INTO heartbeats (seq, id, key, managed_by, name, slug, token, spec, metadata, group_id, "
        "current_state, state_since, created_at, updated_at) "
        "VALUES (?, ?, ?, 'config', ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)", inserts)
    groups.prune_config(conn, "heartbeat", names)
    if updates:  # read back as stored
        return config_rows(conn)
    return {**{key: row for key, row in stored.items() if key in wanted}, **made}


def delete_history(conn: sqlite3.Connection, seqs: list[int]) -> None:
    """Delete heartbeats with their pings, flips and pauses."""
    removed = [(seq,) for seq in seqs]
    status_pages.delete_subjects(conn, "heartbeat", seqs)  # pages stop showing it, in the same transaction
    for sql in ("DELETE FROM pings WHERE heartbeat_seq = ?",
                "DELETE FROM heartbeat_flips WHERE heartbeat_seq = ?",
                "DELETE FROM heartbeat_pauses WHERE heartbeat_seq = ?",
                "DELETE FROM heartbeats WHERE seq = ?"):
        conn.executemany(sql, removed)


def get(conn: sqlite3.Connection, heartbeat_id: str) -> HeartbeatRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM heartbeats WHERE id = ?", (heartbeat_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> HeartbeatRow:
    rows = conn.execute(f"SELECT {COLUMNS} FROM heartbeats WHERE seq = ?", (seq,)).fetchall()
    return from_row(rows[0])


def list_page(conn: sqlite3.Connection, *, status: str | None = None, current_state: str | None = None,
              schedule: str | None = None, tag: str | None = None, slug: str | None = None,
              managed_by: str | None = None, group_id: str | None = None, service_id: str | None = None,
              created_gte: int | None = None,
              created_lte: int | None = None, limit: int, starting_after: str | None = None,
              ending_before: str | None = None) -> tuple[list[HeartbeatRow], bool]:
    """One page of heartbeats, newest first, and whether more exist (store.pages)."""
    where = (pages.Where()
             .equal("status", status, "status", STATUSES)
             .equal("current_state", current_state, "current_state", STATES)
             .equal("managed_by", managed_by, "managed_by", MANAGERS)
             .equal("json_extract(spec, '$.schedule.kind')", schedule, "schedule", SCHEDULE_KINDS)
             .equal("slug", slug)
             .equal("group_id", group_id)
             .equal("service_id", service_id)
             .tagged(TABLE, tag)
             .created(created_gte, created_lte))
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [from_row(row) for row in rows], has_more


def last_ping(conn: sqlite3.Connection, heartbeat_seq: int) -> Any | None:
    """The heartbeat's newest ping (a row of PING_COLUMNS), or None."""
    rows = conn.execute(f"SELECT {PING_COLUMNS} FROM pings WHERE heartbeat_seq = ? ORDER BY seq DESC LIMIT 1",
                        (heartbeat_seq,)).fetchall()
    return rows[0] if rows else None


def pings_page(conn: sqlite3.Connection, heartbeat_seq: int, *, kind: str | None = None, rid: str | None = None,
               created_gte: int | None = None, created_lte: int | None = None, limit: int,
               starting_after: str | None = None, ending_before: str | None = None) -> tuple[list[Any], bool]:
    """One page of a heartbeat's pings (rows of PING_COLUMNS), newest first; cursors are png_ ids."""
    where = (pages.Where("heartbeat_seq = ?", heartbeat_seq)
             .equal("kind", kind, "kind", PING_KINDS)
             .equal("rid", None if rid is None else rid.lower())
             .created(created_gte, created_lte))
    return pages.page(conn, "pings", PING_COLUMNS, limit, starting_after, ending_before, where,
                      cursor_seq=pages.child_cursor("png", "pings", "heartbeat_seq", heartbeat_seq))


def ping_body(conn: sqlite3.Connection, heartbeat_seq: int, n: int) -> tuple[bytes | None, int] | None:
    """(body as stored, its size as received) of ping number `n`, or None when there is no such ping."""
    rows = conn.execute("SELECT body, body_size FROM pings WHERE heartbeat_seq = ? AND n = ?",
                        (heartbeat_seq, n)).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def api_heartbeats(conn: sqlite3.Connection) -> list[HeartbeatRow]:
    """Every heartbeat made over the API, oldest first (the daemon runs them at start)."""
    return [from_row(row) for row in conn.execute(
        f"SELECT {COLUMNS} FROM heartbeats WHERE managed_by = 'api' ORDER BY seq").fetchall()]


def insert(conn: sqlite3.Connection, heartbeat_id: str, spec: HeartbeatSpec, now_ms: int,
           group_id: str | None = None) -> HeartbeatRow:
    """A heartbeat made over the API: no key, `new`, active."""
    seq = new_seq(conn)
    name, slug, spec_json, metadata = spec_columns(spec)
    try:
        conn.execute(
            "INSERT INTO heartbeats (seq, id, key, managed_by, name, slug, token, spec, metadata, group_id, "
            "current_state, state_since, created_at, updated_at) "
            "VALUES (?, ?, NULL, 'api', ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
            (seq, heartbeat_id, name, slug, spec.token or new_token(), spec_json, metadata, group_id, now_ms,
             now_ms, now_ms))
    except sqlite3.IntegrityError:
        raise HeartbeatConflict(f"token {spec.token} already belongs to another heartbeat") from None
    return by_seq(conn, seq)


def update(conn: sqlite3.Connection, seq: int, spec: HeartbeatSpec, token: str, now_ms: int,
           group_id: str | None = None) -> HeartbeatRow:
    name, slug, spec_json, metadata = spec_columns(spec)
    try:
        conn.execute(
            "UPDATE heartbeats SET name = ?, slug = ?, token = ?, spec = ?, metadata = ?, group_id = ?, "
            "updated_at = ? WHERE seq = ?", (name, slug, token, spec_json, metadata, group_id, now_ms, seq))
    except sqlite3.IntegrityError:
        raise HeartbeatConflict(f"token {token} already belongs to another heartbeat") from None
    return by_seq(conn, seq)


def slug_owner(conn: sqlite3.Connection, slug: str, other_than: int = 0) -> str | None:
    """The id of a heartbeat using `slug`, other than seq `other_than`."""
    rows = conn.execute("SELECT id FROM heartbeats WHERE slug = ? AND seq != ? LIMIT 1",
                                       (slug, other_than)).fetchall()
    return rows[0][0] if rows else None


def pause(conn: sqlite3.Connection, seq: int, now_ms: int) -> HeartbeatRow:
    """Pause (pausing a paused one changes nothing); the span is left out of its uptime."""
    conn.execute(
        "INSERT INTO heartbeat_pauses (heartbeat_seq, started_at) "
        "SELECT seq, ? FROM heartbeats WHERE seq = ? AND status = 'active'", (now_ms, seq))
    conn.execute(
        "UPDATE heartbeats SET status = 'paused', paused_at = coalesce(paused_at, ?), updated_at = ? "
        "WHERE seq = ?", (now_ms, now_ms, seq))
    return by_seq(conn, seq)


def resume_statements(seq: int, now_ms: int, state: str, since_ms: int) -> list[tuple[str, tuple]]:
    """End a pause (over the API, or by a ping): active, in `state` from `since_ms`."""
    return [("UPDATE heartbeat_pauses SET ended_at = ? WHERE heartbeat_seq = ? AND ended_at IS NULL",
             (now_ms, seq)),
            ("UPDATE heartbeats SET status = 'active', paused_at = NULL, current_state = ?, state_since = ?, "
             "started_at = NULL, start_rid = NULL, runs = NULL, updated_at = ? WHERE seq = ?",
             (state, since_ms, now_ms, seq))]


def ping_key(conn: sqlite3.Connection, configured: str | None) -> str:
    """The key of slug URLs (/ping/<key>/<slug>): the configured one, or one made
    at the first start and kept in the settings table (inside the caller's transaction)."""
    if configured:
        return configured
    rows = conn.execute("SELECT value FROM settings WHERE key = 'ping_key'").fetchall()
    if rows:
        return rows[0][0]
    key = secrets.token_urlsafe(16)
    conn.execute("INSERT INTO settings (key, value) VALUES ('ping_key', ?)", (key,))
    return key


def prune_pings(conn: sqlite3.Connection, last_n: dict[int, int], keep: int) -> int:
    """Keep the newest `keep` pings of each heartbeat (seq -> its newest n); returns rows deleted."""
    cursor = conn.executemany("DELETE FROM pings WHERE heartbeat_seq = ? AND n <= ?",
                                    [(seq, n - keep) for seq, n in last_n.items() if n > keep])
    return cursor.rowcount


STATUS_QUERY = """
SELECT h.key, h.id, h.name, h.token, h.status, h.current_state, h.state_since, h.last_ping_at, h.started_at,
       f.reason, f.created_at, h.seq, h.created_at
FROM heartbeats AS h
LEFT JOIN heartbeat_flips AS f ON f.seq = (SELECT max(seq) FROM heartbeat_flips WHERE heartbeat_seq = h.seq)
ORDER BY coalesce(h.key, h.id)
"""
PROBLEMS = {  # the reason of the flip that made a heartbeat late or down -> (error kind, message)
    "deadline": ("heartbeat_missed", "no ping by the expected time; in grace"),
    "missed": ("heartbeat_missed", "no ping by the expected time plus grace"),
    "overrun": ("heartbeat_missed", "started, no finish within grace"),
    "fail": ("heartbeat_failed", "the job reported a failure"),
}


def read_status(conn: sqlite3.Connection, now_ms: int | None = None) -> list[dict]:
    """One dict per heartbeat in the shape of `upstatd status --json`: `type` is
    "heartbeat", `url` the ping path, `last_check_at` the last ping; with its
    uptime over the last 24 hours (as the heartbeats list computes it)."""
    from upstatd.store.uptime import uptimes
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'heartbeats'").fetchone():
        return []  # a database from before heartbeats
    now_ms = round(time.time() * 1000) if now_ms is None else now_ms
    # a database the daemon has not migrated yet (a new binary, the daemon not restarted): no uptime
    counted = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'heartbeat_pauses'").fetchone()
    out = []
    for (key, heartbeat_id, name, token, status, state, since_ms, last_ping_ms, started_ms, reason,
         flipped_ms, seq, created_ms) in conn.execute(STATUS_QUERY).fetchall():
        percent = uptimes(conn, seq, created_ms, now_ms, "heartbeat")["24h"] if counted else None
        problem = PROBLEMS.get(reason) if state in ("late", "down") else None
        out.append({
            "key": key or heartbeat_id,
            "name": name,
            "type": "heartbeat",
            "url": f"/ping/{token}",
            "status": status,
            "state": state,
            "since": since_ms // 1000,
            "last_check_at": None if last_ping_ms is None else last_ping_ms // 1000,
            "latency_ms": None,
            "status_code": None,
            "last_error": None if problem is None else {"kind": problem[0], "message": problem[1]},
            "uptime_24h": None if percent is None else round(percent, 3),
            "started": started_ms is not None,
        })
    return out
