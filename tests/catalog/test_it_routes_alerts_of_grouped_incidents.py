"""The alert router (alerts/router.py) and root-cause grouping: an incident caused
by an open one has its opening recorded as alerts `suppressed`, reason
`dependency` (never sent, no reminder); a held one records nothing until it is
grouped (suppressed then) or released (its opening alert then, queued)."""

from __future__ import annotations

import pytest

from upstatd.alerts.router import Router, Subject
from upstatd.config.alert_channels import DEFAULT_EVENTS
from upstatd.events import Event
from upstatd.store.alerts import ChannelRow

T = 1_800_000_000.0
OPS = ChannelRow(1, "ch_ops", "ops", "config", "ops", "webhook", {"url": "http://127.0.0.1/"}, list(DEFAULT_EVENTS),
                 False, 600.0, 0, {}, True, 0, None, None, 0, 0)
SUBJECTS = {"mon_api": Subject("monitor", "mon_api", "api", "http://127.0.0.1/", "http", "down", None, None)}
ROOT_OPEN = {"inc_pg"}


def router() -> Router:
    made = Router(SUBJECTS.get)
    made.use_channels([OPS], ("ops",))
    # as catalog/grouping.py answers: held, or caused by an incident still open
    made.held_back = lambda incident: incident.get("held_until") is not None or \
        incident.get("caused_by") in ROOT_OPEN
    return made


def incident(**more) -> dict:
    return {"id": "inc_api", "status": "open", "severity": "critical", "type": "status_code",
            "title": "api is down", "source": "system", "error_message": "HTTP 503",
            "affected_monitor_ids": ["mon_api"], "started_at": int(T), "resolved_at": None,
            "acknowledged_by": None, "caused_by": None, "held_until": None, **more}


def record(made: Router, kind: str, obj: dict, extra: dict | None = None) -> list[tuple[str, str]]:
    statements = []
    made(Event(f"evt_{kind}", kind, T, obj, extra), lambda sql, params: statements.append(params))
    return [(params[3], params[4]) for params in statements]


@pytest.mark.parametrize("kind, obj, extra, alerts", [
    ("incident.created", incident(), None, [("opened", "queued")]),                       # alone
    ("incident.created", incident(caused_by="inc_pg"), None, [("dependency", "suppressed")]),
    ("incident.reopened", incident(caused_by="inc_pg"), None, [("dependency", "suppressed")]),
    ("incident.created", incident(held_until=int(T) + 30), None, []),                      # waits
    ("incident.updated", incident(caused_by="inc_pg"), {"reason": "grouped", "caused_by": "inc_pg"},
     [("dependency", "suppressed")]),                                                      # held, then grouped
    ("incident.updated", incident(), {"reason": "grouped", "caused_incident": "inc_web"}, []),   # the root's side
    ("incident.updated", incident(caused_by="inc_gone"), {"reason": "released"}, [("opened", "queued")]),
    ("incident.updated", incident(), {"reason": "released"}, [("opened", "queued")]),
    ("incident.updated", incident(status="acknowledged"), {"reason": "released"}, []),   # someone is on it
    ("incident.updated", incident(caused_by="inc_pg"), None, []),                          # down, still caused
    ("incident.resolved", incident(caused_by="inc_pg", status="resolved"), None, []),      # never told
])
def test_grouped_incidents_are_suppressed_held_or_released(kind, obj, extra, alerts):
    assert record(router(), kind, obj, extra) == alerts


def test_a_suppressed_incident_is_never_reminded():
    made = router()
    record(made, "incident.created", incident(caused_by="inc_pg"))
    assert "inc_api" not in made.told
    record(made, "incident.updated", incident(caused_by="inc_gone"), {"reason": "released"})
    assert made.told["inc_api"].next_reminder() == T + 600
