"""The incident policy (incidents/policy.py), pure: a table of the subject's
current incident x the state change -> what happens to the incident."""

from __future__ import annotations

import pytest

from upstatd.events import StateChanged, Subject
from upstatd.incidents.policy import decide
from upstatd.store.incidents import Incident

AT = 1_800_000_000.0
WINDOW = 300.0
MONITOR = Subject("monitor", "mon_a", "Shop", "major")
BEAT = Subject("heartbeat", "hbt_b", "Backup", "critical")


def incident(status: str, severity: str = "major", resolved_ago: float | None = None) -> Incident:
    resolved = None if resolved_ago is None else round((AT - resolved_ago) * 1000)
    return Incident("inc_old", status, severity, "timeout", "system", "Shop is down", "timed out", "mon_a",
                    round((AT - 3600) * 1000), round((AT - 3600) * 1000), round((AT - 3600) * 1000),
                    resolved_at=resolved, affected=["mon_a"])


def change(subject: Subject, before: str, after: str, **fields) -> StateChanged:
    return StateChanged(subject, before, after, AT, **fields)


CASES = [
    # (current incident, state change, expected (kind, event, status, severity, id) or None)
    (None, change(MONITOR, "up", "down", error_kind="timeout", error_message="timed out"),
     ("created", "incident.created", "open", "major", "inc_new")),
    (None, change(MONITOR, "up", "degraded", error_kind="slow_response"),
     ("created", "incident.created", "open", "minor", "inc_new")),          # one step lower
    (incident("open", "minor"), change(MONITOR, "degraded", "down", error_kind="timeout"),
     ("updated", "incident.updated", "open", "major", "inc_old")),          # raised, same incident
    (incident("open"), change(MONITOR, "down", "down"), None),               # already open, no worse
    (incident("acknowledged"), change(MONITOR, "up", "down", error_kind="timeout"), None),
    (incident("resolved", resolved_ago=60), change(MONITOR, "up", "down", error_kind="timeout"),
     ("reopened", "incident.reopened", "open", "major", "inc_old")),        # within the window
    (incident("resolved", resolved_ago=WINDOW + 1), change(MONITOR, "up", "down", error_kind="timeout"),
     ("created", "incident.created", "open", "major", "inc_new")),          # after it: a new one
    (incident("open"), change(MONITOR, "down", "up"), ("resolved", "incident.resolved", "resolved", "major", "inc_old")),
    (incident("acknowledged"), change(MONITOR, "down", "up"),
     ("resolved", "incident.resolved", "resolved", "major", "inc_old")),
    (incident("resolved", resolved_ago=10), change(MONITOR, "down", "up"), None),
    (None, change(MONITOR, "pending", "up"), None),
    (None, change(BEAT, "up", "down", reason="fail"), ("created", "incident.created", "open", "critical", "inc_new")),
    (None, change(BEAT, "up", "late", reason="deadline"), None),            # late is not down
    (incident("open"), change(BEAT, "down", "new", reason="resumed"),
     ("resolved", "incident.resolved", "resolved", "major", "inc_old")),    # reset: resolved
]


@pytest.mark.parametrize("current, state_change, expected", CASES)
def test_it_decides(current, state_change, expected):
    decision = decide(current, state_change, WINDOW, lambda: "inc_new")
    if expected is None:
        assert decision is None
        return
    kind, event, status, severity, incident_id = expected
    made = decision.incident
    assert (decision.kind, decision.event, made.status, made.severity, made.id) == expected
    assert decision.insert == (kind == "created")
    assert made.updated_at == round(AT * 1000)
    if kind == "resolved":
        assert made.resolved_at == round(AT * 1000)
    if kind == "created":
        assert (made.started_at, made.subject_id, made.affected) == (
            round(AT * 1000), state_change.subject.id, [state_change.subject.id])


def test_a_heartbeat_incident_says_why_in_words():
    decision = decide(None, change(BEAT, "up", "down", reason="missed"), WINDOW, lambda: "inc_new")
    assert (decision.incident.type, decision.incident.error_message) == (
        "heartbeat_missed", "no ping came before the grace period ended")
    assert decision.incident.title == "Backup is down"


def test_a_new_id_is_made_only_when_an_incident_opens():
    made = []
    decide(incident("open"), change(MONITOR, "down", "up"), WINDOW, lambda: made.append(1) or "inc_new")
    assert made == []
