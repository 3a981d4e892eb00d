"""What the rest of upstatd reads of runbooks (tables of migration 0021): the
runbooks an incident shows, with the steps of their current version and the steps
marked done on it.

The runbook tables are written by their own store module (the runbooks'
commands); this reader is the contract that the incident API, notifications and
the runbook page rely on.
"""

from __future__ import annotations

import json
import sqlite3
from typing import NamedTuple

from upstatd.runbooks.incident import linked_targets, ordered_runbooks
from upstatd.store import catalog


class LinkedRunbook(NamedTuple):
    id: str                 # rbk_...
    title: str
    version: int            # the current one
    steps: list[str]
    body: str               # markdown
    tags: list[str]
    via: str                # the mon_/hbt_/svc_/esc_ id it is linked through
    steps_done: list[dict]  # [{step, version, done_by, done_at}] on this incident, by step


def _policy_of(conn: sqlite3.Connection, incident_id: str) -> str | None:
    row = conn.execute("SELECT policy_id FROM escalations WHERE incident_id = ?", (incident_id,)).fetchone()
    return row[0] if row else None


def for_subject(conn: sqlite3.Connection, subject_id: str | None, policy_id: str | None = None,
                incident_id: str | None = None) -> list[LinkedRunbook]:
    """The runbooks of an incident on `subject_id` (see runbooks/incident.py for the order)."""
    targets = linked_targets(subject_id, catalog.graph(conn), policy_id)
    if not targets:
        return []
    marks = ",".join("?" * len(targets))
    links: dict[str, list[str]] = {}
    for runbook_id, target_id in conn.execute(
            f"SELECT l.runbook_id, l.target_id FROM runbook_links l JOIN runbooks r ON r.id = l.runbook_id "
            f"WHERE l.target_id IN ({marks}) ORDER BY r.seq", targets):
        links.setdefault(target_id, []).append(runbook_id)
    out = []
    for runbook_id, via in ordered_runbooks(targets, links):
        title, version, steps, body, tags = conn.execute(
            "SELECT title, version, steps, body, tags FROM runbooks WHERE id = ?", (runbook_id,)).fetchone()
        done = []
        if incident_id is not None:
            done = [{"step": step, "version": done_version, "done_by": done_by, "done_at": done_at}
                    for step, done_version, done_by, done_at in conn.execute(
                        "SELECT step, version, done_by, done_at FROM incident_runbook_steps "
                        "WHERE incident_id = ? AND runbook_id = ? ORDER BY step", (incident_id, runbook_id))]
        out.append(LinkedRunbook(runbook_id, title, version, json.loads(steps), body, json.loads(tags), via, done))
    return out


def for_incident(conn: sqlite3.Connection, incident_id: str) -> list[LinkedRunbook]:
    """The runbooks incident `incident_id` shows; [] for an unknown or manual one with none."""
    row = conn.execute("SELECT subject_id FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    if row is None:
        return []
    return for_subject(conn, row[0], _policy_of(conn, incident_id), incident_id)
