"""The webhook_endpoints and webhook_deliveries tables: reconciling the YAML
endpoints, endpoints made over the API; each endpoint's consumer keeps its
place in them through a store.outbox.Ledger (`ledger`).

`cursor` is the seq of the last event an endpoint is done with (delivered, or
not for it): delivery resumes after it, across restarts. A new endpoint, and
one enabled again, starts at the newest event: it gets what happens from then
on, not the history."""

from __future__ import annotations

import base64
import secrets
import sqlite3
from typing import Any, NamedTuple

import msgspec

from upstatd.config.webhooks import WebhookSpec
from upstatd.ids import new_id
from upstatd.store import pages
from upstatd.store.outbox import Ledger

TABLE = "webhook_endpoints"
DELIVERY_TABLE = "webhook_deliveries"
COLUMNS = ("seq, id, key, managed_by, url, events, secret, enabled, description, metadata, cursor, "
           "failing_since, disabled_reason, created_at, updated_at")
DELIVERY_COLUMNS = ("seq, endpoint_seq, event_id, event_type, attempt, created_at, ok, status_code, latency_ms, "
                    "error, next_attempt_at")


class EndpointRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    url: str
    events: list[str]
    secret: str
    enabled: bool
    description: str | None
    metadata: dict[str, str]
    cursor: int
    failing_since: int | None
    disabled_reason: str | None
    created_at: int
    updated_at: int


def from_row(row: Any) -> EndpointRow:
    values = list(row)
    values[5] = msgspec.json.decode(values[5])
    values[7] = bool(values[7])
    values[9] = msgspec.json.decode(values[9])
    return EndpointRow(*values)


def new_secret() -> str:
    """`whsec_` and the standard base64 of 32 random bytes: the Standard Webhooks form, so
    its libraries take the string as it is (delivery/sign.py: standard_key)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def last_event_seq(conn: sqlite3.Connection) -> int:
    (seq,) = (conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchall())[0]
    return seq


def all_endpoints(conn: sqlite3.Connection) -> list[EndpointRow]:
    return [from_row(row) for row in conn.execute(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY seq").fetchall()]


def get(conn: sqlite3.Connection, endpoint_id: str) -> EndpointRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (endpoint_id,)).fetchall()
    return from_row(rows[0]) if rows else None


def by_seq(conn: sqlite3.Connection, seq: int) -> EndpointRow | None:
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq = ?", (seq,)).fetchall()
    return from_row(rows[0]) if rows else None


def new_seq(conn: sqlite3.Connection) -> int:
    """A seq no endpoint ever had, so no orphan delivery is inherited."""
    (seq,) = (conn.execute(
        "SELECT max(coalesce((SELECT max(seq) FROM webhook_endpoints), 0), "
        "coalesce((SELECT max(endpoint_seq) FROM webhook_deliveries), 0)) + 1").fetchall())[0]
    return seq


def delete(conn: sqlite3.Connection, seqs: list[int]) -> None:
    """Delete endpoints with their deliveries."""
    removed = [(seq,) for seq in seqs]
    conn.executemany("DELETE FROM webhook_deliveries WHERE endpoint_seq = ?", removed)
    conn.executemany("DELETE FROM webhook_endpoints WHERE seq = ?", removed)


def reconcile(conn: sqlite3.Connection, specs: tuple[WebhookSpec, ...], now_ms: int) -> None:
    """Make the config-managed rows match `specs` (inside the caller's transaction).
    A spec that changed sets `enabled` from the file (one disabled after 24 h of
    failures stays disabled until the file, or the API, enables it again)."""
    stored = {row.key: row for row in map(from_row, conn.execute(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE managed_by = 'config'").fetchall())}
    wanted = {spec.key for spec in specs}
    delete(conn, [row.seq for key, row in stored.items() if key not in wanted])
    last = last_event_seq(conn)
    seq = new_seq(conn)
    for spec in specs:
        row = stored.get(spec.key)
        if row is None:
            conn.execute(
                f"INSERT INTO {TABLE} (seq, id, key, managed_by, url, events, secret, enabled, description, "
                "metadata, cursor, created_at, updated_at) VALUES (?, ?, ?, 'config', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, new_id("we"), spec.key, spec.url, _json(list(spec.events)), spec.secret, int(spec.enabled),
                 spec.description, _json(spec.metadata), last, now_ms, now_ms))
            seq += 1
            continue
        if (row.url, row.events, row.secret, row.description, row.metadata) == \
                (spec.url, list(spec.events), spec.secret, spec.description, spec.metadata) and \
                (row.enabled or row.disabled_reason is not None) == spec.enabled:
            continue
        conn.execute(
            f"UPDATE {TABLE} SET url = ?, events = ?, secret = ?, description = ?, metadata = ?, updated_at = ? "
            "WHERE seq = ?", (spec.url, _json(list(spec.events)), spec.secret, spec.description,
                              _json(spec.metadata), now_ms, row.seq))
        set_enabled(conn, row, spec.enabled, now_ms, last)


def set_enabled(conn: sqlite3.Connection, row: EndpointRow, enabled: bool, now_ms: int,
                      last: int | None = None, reason: str | None = None) -> None:
    """Enable (from the newest event on, failures forgotten) or disable an endpoint."""
    if enabled == row.enabled:
        return
    if enabled:
        last = last_event_seq(conn) if last is None else last
        conn.execute(f"UPDATE {TABLE} SET enabled = 1, disabled_reason = NULL, failing_since = NULL, "
                           "cursor = max(cursor, ?), updated_at = ? WHERE seq = ?", (last, now_ms, row.seq))
    else:
        conn.execute(f"UPDATE {TABLE} SET enabled = 0, disabled_reason = ?, failing_since = NULL, "
                           "updated_at = ? WHERE seq = ?", (reason, now_ms, row.seq))


def insert(conn: sqlite3.Connection, endpoint_id: str, url: str, events: list[str], secret: str,
                 enabled: bool, description: str | None, metadata: dict[str, str], now_ms: int) -> EndpointRow:
    seq = new_seq(conn)
    conn.execute(
        f"INSERT INTO {TABLE} (seq, id, key, managed_by, url, events, secret, enabled, description, metadata, "
        "cursor, created_at, updated_at) VALUES (?, ?, NULL, 'api', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, endpoint_id, url, _json(events), secret, int(enabled), description, _json(metadata),
         last_event_seq(conn), now_ms, now_ms))
    return by_seq(conn, seq)


def update(conn: sqlite3.Connection, row: EndpointRow, url: str, events: list[str],
                 description: str | None, metadata: dict[str, str], now_ms: int) -> None:
    conn.execute(f"UPDATE {TABLE} SET url = ?, events = ?, description = ?, metadata = ?, updated_at = ? "
                       "WHERE seq = ?", (url, _json(events), description, _json(metadata), now_ms, row.seq))


def set_secret(conn: sqlite3.Connection, row: EndpointRow, secret: str, now_ms: int) -> None:
    conn.execute(f"UPDATE {TABLE} SET secret = ?, updated_at = ? WHERE seq = ?", (secret, now_ms, row.seq))


def ledger(seq: int) -> Ledger:
    """Where the endpoint's consumer keeps its place: its row's cursor and its deliveries."""
    return Ledger(TABLE, "webhook_deliveries", "endpoint_seq", seq)


# -- reads for the API's lists ----------------------------------------------------------------

def list_page(conn: sqlite3.Connection, *, enabled: bool | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None
              ) -> tuple[list[EndpointRow], bool]:
    """One page of endpoints, newest first: all, or only the enabled (disabled) ones."""
    where = pages.Where().equal("enabled", None if enabled is None else int(enabled))
    rows, has_more = pages.page(conn, TABLE, COLUMNS, limit, starting_after, ending_before, where)
    return [from_row(row) for row in rows], has_more


def deliveries_page(conn: sqlite3.Connection, endpoint_seq: int, *, ok: bool | None = None,
                    event_id: str | None = None, limit: int, starting_after: str | None = None,
                    ending_before: str | None = None) -> tuple[list[Any], bool]:
    """One page of an endpoint's delivery attempts, newest first; cursors are whd_ ids."""
    where = (pages.Where("endpoint_seq = ?", endpoint_seq)
             .equal("ok", None if ok is None else int(ok))
             .equal("event_id", event_id))
    return pages.page(conn, DELIVERY_TABLE, DELIVERY_COLUMNS, limit, starting_after, ending_before, where,
                      cursor_seq=pages.child_cursor("whd", DELIVERY_TABLE, "endpoint_seq", endpoint_seq))


def delivery(conn: sqlite3.Connection, seq: int) -> tuple | None:
    """One delivery row (DELIVERY_COLUMNS)."""
    rows = conn.execute(f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_TABLE} WHERE seq = ?", (seq,)).fetchall()
    return tuple(rows[0]) if rows else None
