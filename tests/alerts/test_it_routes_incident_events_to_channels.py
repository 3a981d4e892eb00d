"""The alert router (alerts/router.py) on its own: which channels an incident
event alerts, with which reason, decided from memory as the event is
recorded. A table of cases over a real EventBus recorder call, the statements
it hands to `execute` decoded back into (channel, reason, status)."""

from __future__ import annotations

import json

import pytest

from upstatd.alerts.router import Router, Subject
from upstatd.config.alert_channels import DEFAULT_EVENTS
from upstatd.events import Event
from upstatd.store.alerts import ChannelRow

T = 1_800_000_000.0


def channel(seq: int, key: str, events=DEFAULT_EVENTS, degraded=False, enabled=True, window=0) -> ChannelRow:
    return ChannelRow(seq, f"ch_{key}", key, "config", key, "webhook", {"url": "http://127.0.0.1/"}, list(events),
                      degraded, None, window, {}, enabled, 0, None, None, 0, 0)


CHANNELS = [channel(1, "ops"), channel(2, "pager", events=(*DEFAULT_EVENTS, "incident.acknowledged")),
            channel(3, "noisy", degraded=True), channel(4, "off", enabled=False)]
SUBJECTS = {
    "mon_web": Subject("monitor", "mon_web", "web", "https://web.example", "http", "down", None, None),
    "mon_slow": Subject("monitor", "mon_slow", "slow", "https://slow.example", "http", "degraded", None, None),
    "mon_own": Subject("monitor", "mon_own", "own", "tcp://db:5432", "tcp", "down", ("pager", "ch_noisy"), None),
    "mon_none": Subject("monitor", "mon_none", "none", "tcp://db:5432", "tcp", "down", (), None),
}


def router() -> Router:
    made = Router(SUBJECTS.get)
    made.use_channels(CHANNELS, ("ops", "pager", "off"))
    return made


def incident(subject: str | None = "mon_web", status: str = "open", **more) -> dict:
    return {"id": "inc_1", "status": status, "severity": "critical", "type": "status_code", "title": "web is down",
            "source": "system" if subject else "manual", "error_message": "HTTP 503",
            "affected_monitor_ids": [subject] if subject else more.pop("affected", []), "started_at": int(T),
            "resolved_at": None, "acknowledged_by": None, **more}


def record(made: Router, kind: str, obj: dict, at: float = T) -> list[tuple[str, str, str]]:
    """(channel key, reason, status) of each alert the event made."""
    statements = []
    made(Event(f"evt_{kind}", kind, at, obj), lambda sql, params: statements.append((sql, params)))
    keys = {row.seq: row.key for row in CHANNELS}
    return [(keys[params[1]], params[3], params[4]) for sql, params in statements if params[3] != "digest"]


@pytest.mark.parametrize("kind, obj, alerts", [
    # the defaults (a disabled channel gets nothing)
    ("incident.created", incident(), [("ops", "opened", "queued"), ("pager", "opened", "queued")]),
    ("incident.reopened", incident(), [("ops", "opened", "queued"), ("pager", "opened", "queued")]),
    # a degraded subject: only channels that want degraded
    ("incident.created", incident("mon_slow"), []),
    # its own channels, by key or id; [] is none
    ("incident.created", incident("mon_own"), [("pager", "opened", "queued"), ("noisy", "opened", "queued")]),
    ("incident.created", incident("mon_none"), []),
    # a manual incident: its monitors' channels, else the defaults
    ("incident.created", incident(None, affected=["mon_own"]), [("pager", "opened", "queued"),
                                                               ("noisy", "opened", "queued")]),
    ("incident.created", incident(None), [("ops", "opened", "queued"), ("pager", "opened", "queued")]),
    # events no channel is told of
    ("incident.commented", incident(), []),
    ("incident.closed", incident(status="closed"), []),
    # a change of an open outage reaches the channels that have not heard of it (degraded before, or new)
    ("incident.updated", incident(), [("ops", "opened", "queued"), ("pager", "opened", "queued")]),
    ("incident.updated", incident("mon_slow"), []),
])
def test_an_event_alerts_the_channels_that_want_it(kind, obj, alerts):
    assert record(router(), kind, obj) == alerts


def test_acknowledged_and_resolved_go_only_where_the_opening_went():
    made = router()
    assert record(made, "incident.acknowledged", incident(status="acknowledged")) == []  # nobody was told
    record(made, "incident.created", incident())
    assert record(made, "incident.acknowledged", incident(status="acknowledged", acknowledged_by="ann")) == \
        [("pager", "acknowledged", "queued")]  # only the channel whose events take it
    assert record(made, "incident.resolved", incident(status="resolved", resolved_at=int(T) + 90)) == \
        [("ops", "resolved", "queued"), ("pager", "resolved", "queued")]
    assert made.told == {}  # forgotten: a new opening starts over


def test_a_degraded_incident_turning_into_an_outage_reaches_the_others_then():
    made = router()
    assert record(made, "incident.created", incident("mon_slow")) == []
    SUBJECTS["mon_slow"] = SUBJECTS["mon_slow"]._replace(state="down")
    try:
        assert record(made, "incident.updated", incident("mon_slow")) == [("ops", "opened", "queued"),
                                                                          ("pager", "opened", "queued")]
        assert record(made, "incident.updated", incident("mon_slow")) == []  # once
    finally:
        SUBJECTS["mon_slow"] = SUBJECTS["mon_slow"]._replace(state="degraded")


def test_the_facts_name_the_subject_and_its_last_check():
    made = router()
    check = {"error_kind": "status_code", "error_message": "HTTP 503",
             "phases": {"resolve_ms": 1.5, "connect_ms": 3.0, "tls_ms": None, "first_byte_ms": 40.0,
                        "transfer_ms": None}}
    made(Event("evt_d", "monitor.down", T, {"id": "mon_web"}, {"check": check}), lambda *a: None)
    statements = []
    made(Event("evt_c", "incident.created", T + 1, incident()), lambda sql, params: statements.append(params))
    facts = json.loads(statements[0][7])
    assert (facts["kind"], facts["name"], facts["url"], facts["type"]) == ("monitor", "web", "https://web.example",
                                                                           "http")
    assert (facts["reason"], facts["error_kind"], facts["error_message"]) == ("opened", "status_code", "HTTP 503")
    assert facts["phases"] == [{"name": "dns", "ms": 1.5}, {"name": "connect", "ms": 3.0},
                               {"name": "first_byte", "ms": 40.0}]
    assert facts["started_at"] == T and facts["at"] == T + 1


def test_reminders_are_due_per_channel_until_acknowledged():
    made = Router(SUBJECTS.get)
    rows = [channel(1, "ops")._replace(reminder_interval=600), channel(2, "pager")]
    made.use_channels(rows, ("ops", "pager"))
    due = []
    made.on_alerts = lambda incident_id, when: due.append(when)
    made(Event("evt_c", "incident.created", T, incident()), lambda *a: None)
    assert due == [T + 600]  # only ops reminds
    statements, seqs, next_due = made.remind("inc_1", T + 599)
    assert (statements, seqs, next_due) == ([], set(), T + 600)  # not yet
    statements, seqs, next_due = made.remind("inc_1", T + 600)
    assert seqs == {1} and next_due == T + 1200 and statements[0][1][3] == "reminder"
    made(Event("evt_a", "incident.acknowledged", T + 700, incident(status="acknowledged")), lambda *a: None)
    assert due[-1] is None  # cancelled
    assert made.remind("inc_1", T + 1200) == ([], set(), None)
