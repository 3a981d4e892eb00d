"""Each incident's escalation (the `escalations` table of migration 0019): its
policy, when it began, the steps fired and the escalate-now requests not used
yet. Times are Unix ms in the table, seconds here.

The row is started by a statement queued with the incident's opening event
(the policy chosen in SQL, so the probe path reads nothing), stopped with its
acknowledgement, resolution or closing; the firing job reads and saves it.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

import msgspec

from upstatd.oncall.escalation import Fired

# The subject's policy (an esc_ id, or a key), else the default policy; none: no row.
_START = (
    "INSERT INTO escalations (incident_id, policy_id, started_at, fired, requests, next_at) "
    "SELECT ?1, p.id, ?2, '[]', '[]', ?2 + CAST(round(json_extract(p.steps, '$[0].wait_seconds') * 1000) AS INTEGER) "
    "FROM escalation_policies p, (SELECT coalesce((SELECT escalation_policy FROM monitors WHERE id = ?3), "
    "(SELECT escalation_policy FROM heartbeats WHERE id = ?3)) AS ref) subject "
    "WHERE (subject.ref IS NULL AND p.is_default = 1) OR p.id = subject.ref OR p.key = subject.ref "
    "ORDER BY p.seq LIMIT 1")
_STOP = "UPDATE escalations SET next_at = NULL WHERE incident_id = ? AND next_at IS NOT NULL"
_SAVE = "UPDATE escalations SET fired = ?, requests = ?, next_at = ? WHERE incident_id = ?"


class Escalation(NamedTuple):
    incident_id: str
    policy_id: str
    started_at: float
    fired: list[Fired]
    requests: list[float]
    next_at: float | None


def start_statements(incident_id: str, subject_id: str | None, at: float) -> list[tuple[str, tuple]]:
    """The incident's escalation from `at` over again (opened or reopened): what fired before is
    dropped. A subject naming a policy that no longer exists escalates not at all (not by the default)."""
    return [("DELETE FROM escalations WHERE incident_id = ?", (incident_id,)),
            (_START, (incident_id, round(at * 1000), subject_id or ""))]


def stop_statement(incident_id: str) -> tuple[str, tuple]:
    return _STOP, (incident_id,)


def get(conn: sqlite3.Connection, incident_id: str) -> Escalation | None:
    found = conn.execute("SELECT incident_id, policy_id, started_at, fired, requests, next_at FROM escalations "
                         "WHERE incident_id = ?", (incident_id,)).fetchall()
    if not found:
        return None
    incident_id, policy_id, started_at, fired, requests, next_at = found[0]
    return Escalation(incident_id, policy_id, started_at / 1000,
                      [Fired(r, s, at / 1000) for r, s, at in msgspec.json.decode(fired)],
                      [at / 1000 for at in msgspec.json.decode(requests)],
                      None if next_at is None else next_at / 1000)


def pending(conn: sqlite3.Connection) -> list[tuple[str, float]]:
    """(incident id, next_at s) of every escalation still running (at start: their timers)."""
    return [(row[0], row[1] / 1000) for row in conn.execute(
        "SELECT incident_id, next_at FROM escalations WHERE next_at IS NOT NULL ORDER BY next_at")]


def save(conn: sqlite3.Connection, escalation: Escalation) -> None:
    conn.execute(_SAVE, (msgspec.json.encode([[f.round, f.step, round(f.fired_at * 1000)]
                                              for f in escalation.fired]).decode(),
                         msgspec.json.encode([round(at * 1000) for at in escalation.requests]).decode(),
                         None if escalation.next_at is None else round(escalation.next_at * 1000),
                         escalation.incident_id))
