"""The lifecycle, pure: every (status, target) pair, allowed or refused with the
current status and the moves it allows; actions; severities; types; the reopen window."""

from __future__ import annotations

import pytest

from upstatd.incidents.lifecycle import STATUSES, Refused, act, incident_type, move, reopens, severity_for

ALLOWED = {
    ("open", "acknowledged"): ("acknowledge", "incident.acknowledged"),
    ("open", "resolved"): ("resolve", "incident.resolved"),
    ("acknowledged", "resolved"): ("resolve", "incident.resolved"),
    ("resolved", "open"): ("reopen", "incident.reopened"),
    ("resolved", "closed"): ("close", "incident.closed"),
}
ALLOWS = {"open": ["acknowledge", "resolve"], "acknowledged": ["resolve"], "resolved": ["reopen", "close"],
          "closed": []}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_move_is_allowed_or_refused_with_the_allowed_ones(current, target):
    if (current, target) in ALLOWED:
        action, event = ALLOWED[(current, target)]
        assert move(current, target) == (target, event, action)
        assert act(current, action) == (target, event, action)
        return
    with pytest.raises(Refused) as refused:
        move(current, target)
    assert (refused.value.current, refused.value.wanted, refused.value.allowed) == (current, target,
                                                                                    ALLOWS[current])
    assert f"the incident is {current}" in str(refused.value)
    if current == "closed":
        assert "closed is final" in str(refused.value)


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("action", ["acknowledge", "resolve", "reopen", "close"])
def test_every_action_is_allowed_only_where_the_table_says(current, action):
    if action in ALLOWS[current]:
        assert act(current, action).action == action
    else:
        with pytest.raises(Refused):
            act(current, action)


@pytest.mark.parametrize("configured,degraded,expected", [
    ("critical", False, "critical"), ("critical", True, "major"), ("major", True, "minor"),
    ("minor", True, "warning"), ("warning", True, "warning"), ("warning", False, "warning"),
])
def test_a_degraded_monitor_is_one_severity_lower(configured, degraded, expected):
    assert severity_for(configured, degraded) == expected


@pytest.mark.parametrize("kind,expected", [
    ("timeout", "timeout"), ("status_code", "status_code"), ("keyword_missing", "keyword_missing"),
    ("ssl_error", "ssl_error"), ("dns_error", "dns_error"), ("connection_error", "connection_error"),
    ("slow_response", "slow_response"), ("proxy_error", "proxy_error"), ("missed", "heartbeat_missed"),
    ("deadline", "heartbeat_missed"), ("overrun", "heartbeat_missed"), ("fail", "heartbeat_failed"), (None, "unknown"),
])
def test_the_type_comes_from_the_error_kind(kind, expected):
    assert incident_type(kind) == expected


def test_a_failure_within_the_window_reopens():
    assert reopens(1000.0, 1000.0, 300)
    assert reopens(1000.0, 1300.0, 300)
    assert not reopens(1000.0, 1300.5, 300)
    assert not reopens(None, 1000.0, 300)
    assert not reopens(1000.0, 999.0, 300)  # a clock that went back: not "within"
