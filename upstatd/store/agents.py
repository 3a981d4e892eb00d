"""The agents table (docs/regions.md): agents from the config (by key) and from the API,
with what the daemon last heard from each; and the small numbers of region names
that check rows carry."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from upstatd.config.regions import RegionSpec
from upstatd.ids import new_id
from upstatd.store import pages

COLUMNS = ("seq, id, key, managed_by, name, region, token_hash, state, state_since, last_contact_at, version, "
           "spool, acked_seq, spool_results, spool_bytes, spool_dropped, created_at, updated_at")


STATES = ("new", "up", "down")


class AgentRow(NamedTuple):
    seq: int
    id: str
    key: str | None
    managed_by: str
    name: str
    region: str
    token_hash: str
    state: str                  # new | up | down
    state_since: int | None
    last_contact_at: int | None
    version: str | None
    spool: str | None
    acked_seq: int
    spool_results: int
    spool_bytes: int
    spool_dropped: int
    created_at: int
    updated_at: int


def all_agents(conn: sqlite3.Connection) -> list[AgentRow]:
    return [AgentRow(*row) for row in conn.execute(f"SELECT {COLUMNS} FROM agents ORDER BY seq")]


def find(conn: sqlite3.Connection, agent_id: str) -> AgentRow | None:
    row = conn.execute(f"SELECT {COLUMNS} FROM agents WHERE id = ?", (agent_id,)).fetchone()
    return None if row is None else AgentRow(*row)


def list_page(conn: sqlite3.Connection, *, region: str | None = None, state: str | None = None, limit: int,
              starting_after: str | None = None, ending_before: str | None = None) -> tuple[list[AgentRow], bool]:
    where = pages.Where().equal("region", region).equal("state", state, options=STATES)
    rows, more = pages.page(conn, "agents", COLUMNS, limit, starting_after, ending_before, where)
    return [AgentRow(*row) for row in rows], more


def reconcile(conn: sqlite3.Connection, regions: tuple[RegionSpec, ...], now_ms: int) -> None:
    """The config's agents, by key: new ones added, changed tokens or regions updated (what
    was heard from them kept), removed ones deleted. API agents are left alone."""
    wanted = {agent.key: agent for region in regions for agent in region.agents}
    stored = {row[0]: row[1:] for row in conn.execute(
        "SELECT key, region, token_hash FROM agents WHERE managed_by = 'config'")}
    for key in stored.keys() - wanted.keys():
        conn.execute("DELETE FROM agents WHERE key = ?", (key,))
    for key, agent in wanted.items():
        if key not in stored:
            # an API agent holding the token loses it: the file decides (its row stays, unusable)
            conn.execute("DELETE FROM agents WHERE token_hash = ? AND managed_by = 'api'", (agent.token_hash,))
            conn.execute("INSERT INTO agents (id, key, managed_by, name, region, token_hash, created_at, updated_at) "
                         "VALUES (?, ?, 'config', ?, ?, ?, ?, ?)",
                         (new_id("agt"), key, key, agent.region, agent.token_hash, now_ms, now_ms))
        elif stored[key] != (agent.region, agent.token_hash):
            conn.execute("UPDATE agents SET region = ?, token_hash = ?, updated_at = ? WHERE key = ?",
                         (agent.region, agent.token_hash, now_ms, key))


def insert(conn: sqlite3.Connection, name: str, region: str, token_hash: str, now_ms: int) -> AgentRow:
    agent_id = new_id("agt")
    conn.execute("INSERT INTO agents (id, managed_by, name, region, token_hash, created_at, updated_at) "
                 "VALUES (?, 'api', ?, ?, ?, ?, ?)", (agent_id, name, region, token_hash, now_ms, now_ms))
    found = find(conn, agent_id)
    assert found is not None
    return found


def delete(conn: sqlite3.Connection, agent_id: str) -> None:
    conn.execute("DELETE FROM agents WHERE id = ?", (agent_id,))


# -- what the regions service queues on the writer ---------------------------------------

CONTACT = "UPDATE agents SET last_contact_at = ?, version = coalesce(?, version) WHERE id = ?"
PUSHED = ("UPDATE agents SET last_contact_at = ?, version = ?, spool = ?, acked_seq = ?, spool_results = ?, "
          "spool_bytes = ?, spool_dropped = ? WHERE id = ?")
SET_STATE = "UPDATE agents SET state = ?, state_since = ? WHERE id = ?"


def region_numbers(conn: sqlite3.Connection, names: list[str]) -> dict[str, int]:
    """Each name's number in the regions table, new names numbered now."""
    conn.executemany("INSERT OR IGNORE INTO regions (name) VALUES (?)", [(name,) for name in names])
    return dict(conn.execute("SELECT name, seq FROM regions"))


UPSERT_MONITOR_REGION = ("INSERT INTO monitor_regions (monitor_seq, region, state, since) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (monitor_seq, region) DO UPDATE SET state = excluded.state, "
                         "since = excluded.since")


def monitor_regions(conn: sqlite3.Connection) -> dict[int, dict[str, tuple[str, int]]]:
    """monitor seq -> region -> (state, since ms), as last confirmed."""
    out: dict[int, dict[str, tuple[str, int]]] = {}
    for monitor_seq, region, state, since in conn.execute("SELECT monitor_seq, region, state, since "
                                                          "FROM monitor_regions"):
        out.setdefault(monitor_seq, {})[region] = (state, since)
    return out
