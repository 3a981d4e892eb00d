"""Escalate now (POST /api/incidents/{id}/escalate): the next step falls due at the
request; a request is used up by the first step fired at or after it."""

from __future__ import annotations

import pytest

from upstatd.oncall.escalation import Due, Fired, can_escalate, escalate

from escalationkit import ON_CALL, T0, TEAM, THREE, repeating
from oncallkit import drive

F0, F1, F2 = Fired(0, 0, T0), Fired(0, 1, T0 + 60), Fired(0, 2, T0 + 1800)


@pytest.mark.parametrize("status, fired, requests, now, due, next_at", [
    ("open", [F0], [T0 + 60], T0 + 60, [Due(0, 1, T0 + 60, (TEAM,), True)], T0 + 1260),
    ("open", [F0], [T0 + 60], T0 + 90, [Due(0, 1, T0 + 60, (TEAM,), True)], T0 + 1290),  # woken late
    ("open", [F0], [T0 + 60, T0 + 61], T0 + 61, [Due(0, 1, T0 + 60, (TEAM,), True)], T0 + 1261),  # jumps once
    ("open", [F0, F1], [T0 + 60], T0 + 70, [], T0 + 1260),              # used up by step 2
    ("open", [F0], [T0 + 700], T0 + 700, [Due(0, 1, T0 + 600, (TEAM,), False)], T0 + 1900),  # was due anyway
    ("open", [], [T0], T0, [Due(0, 0, T0, (ON_CALL,), False)], T0 + 600),
    ("open", [F0], [T0 - 60], T0 + 60, [], T0 + 600),                   # before this incident started
    ("open", [F0], [T0 + 120], T0 + 60, [], T0 + 600),                  # not yet asked at `now`
    ("open", [F0, F1, F2], [T0 + 1900], T0 + 1900, [], None),           # nothing left to jump to
    ("acknowledged", [F0], [T0 + 60], T0 + 60, [], None),
])
def test_it_jumps_to_the_next_step(status, fired, requests, now, due, next_at):
    assert escalate(THREE, T0, status, fired, requests, now) == (due, next_at)


def test_requests_walk_the_policy_and_keep_the_spacing_after():
    assert drive(THREE, T0, T0 + 86400, requests=[T0 + 60, T0 + 100]) == [(0, 0, 0), (0, 1, 60), (0, 2, 100)]
    assert drive(THREE, T0, T0 + 86400, requests=[T0 + 60]) == [(0, 0, 0), (0, 1, 60), (0, 2, 1260)]


def test_a_request_skips_the_delay_before_the_next_round():
    policy = repeating(1, 3600)
    assert drive(policy, T0, T0 + 86400, requests=[T0 + 2000]) == [
        (0, 0, 0), (0, 1, 600), (0, 2, 1800), (1, 0, 2000), (1, 1, 2600), (1, 2, 3800)]
    assert drive(policy, T0, T0 + 86400, requests=[T0 + 2000])[3] == (1, 0, 2000)


@pytest.mark.parametrize("status, fired, answer", [
    ("open", [], True), ("open", [F0, F1], True), ("open", [F0, F1, F2], False), ("resolved", [F0], False),
])
def test_it_says_whether_there_is_a_step_to_jump_to(status, fired, answer):
    assert can_escalate(THREE, status, fired) is answer


def test_a_request_from_before_a_reopen_does_not_count():
    waiting = repeating(0, 0, first_wait=120)           # the first page waits two minutes
    assert escalate(waiting, T0, "open", [], [T0 - 60], T0 + 10) == ([], T0 + 120)
    assert escalate(waiting, T0, "open", [], [T0 + 5], T0 + 10) == ([Due(0, 0, T0 + 5, (ON_CALL,), True)], T0 + 610)
