"""What the rest of upstatd reads of the catalog (tables of migration 0020): the
graph as catalog/graph.py takes it, and the names of services.

The services table is written by its own store module (the catalog's commands);
this reader is the one contract that root-cause grouping, runbooks and status
pages rely on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from upstatd.catalog.graph import Graph


def graph(conn: sqlite3.Connection) -> Graph:
    """The whole catalog: edges in the order they were made, names, and members."""
    names = {service_id: name for service_id, name in conn.execute("SELECT id, name FROM services ORDER BY seq")}
    needs: dict[str, list[str]] = {}
    for service_id, depends_on in conn.execute(
            "SELECT service_id, depends_on_id FROM service_dependencies ORDER BY created_at, depends_on_id"):
        if service_id in names and depends_on in names:
            needs.setdefault(service_id, []).append(depends_on)
    members = {}
    for table in ("monitors", "heartbeats"):
        for subject_id, service_id in conn.execute(
                f"SELECT id, service_id FROM {table} WHERE service_id IS NOT NULL ORDER BY seq"):
            if service_id in names:
                members[subject_id] = service_id
    return Graph({service: tuple(targets) for service, targets in needs.items()}, names, members)


def member_states(conn: sqlite3.Connection, service_ids: Iterable[str] | None = None) -> dict[str, list[str]]:
    """svc -> the current states of its monitors and heartbeats, `paused` for a paused one
    (for catalog/graph.state)."""
    wanted = None if service_ids is None else set(service_ids)
    out: dict[str, list[str]] = {}
    for table in ("monitors", "heartbeats"):
        for service_id, current_state in conn.execute(
                f"SELECT service_id, CASE WHEN status = 'paused' THEN 'paused' ELSE current_state END "
                f"FROM {table} WHERE service_id IS NOT NULL"):
            if wanted is None or service_id in wanted:
                out.setdefault(service_id, []).append(current_state)
    return out
