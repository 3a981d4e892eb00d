"""A restart: the only state is the fired steps as stored. A step that fell due
while the daemon was stopped fires once at start; the steps after it keep their
own waits from then (no burst); nothing is skipped or repeated."""

from __future__ import annotations

import pytest

from upstatd.oncall.escalation import Due, Fired, Policy, Step, check_policy, escalate

from escalationkit import MANAGER, ON_CALL, T0, TEAM, THREE

BACK = T0 + 7200       # the daemon starts again two hours in


@pytest.mark.parametrize("fired, due, next_at", [
    ([Fired(0, 0, T0)], [Due(0, 1, T0 + 600, (TEAM,), False)], BACK + 1200),     # only the next, once
    ([], [Due(0, 0, T0, (ON_CALL,), False)], BACK + 600),                         # stopped right after opening
    ([Fired(0, 0, T0), Fired(0, 1, T0 + 600)], [Due(0, 2, T0 + 1800, (MANAGER,), False)], None),
    ([Fired(0, 0, T0), Fired(0, 2, T0 + 600)], [], None),                         # a gap is not back-filled
    ([Fired(0, 0, T0), Fired(1, 0, T0 + 600)], [], None),     # a round the policy no longer has (repeat cut)
    ([Fired(0, 0, T0), Fired(0, 5, T0 + 600)], [], None),     # a step it no longer has (steps cut)
])
def test_it_fires_the_missed_step_once(fired, due, next_at):
    result = escalate(THREE, T0, "open", fired, [], BACK)
    assert result == (due, next_at)
    recorded = fired + [Fired(item.round, item.step, BACK) for item in result.due]
    again = escalate(THREE, T0, "open", recorded, [], BACK)       # asked again in the same instant
    assert again.due == [] and again.next_at == next_at


def test_steps_with_no_wait_fire_together_even_late():
    both = check_policy(Policy((Step(0, (ON_CALL,)), Step(0, (TEAM,)), Step(600, (MANAGER,)))))
    assert escalate(both, T0, "open", [], [], BACK) == (
        [Due(0, 0, T0, (ON_CALL,), False), Due(0, 1, BACK, (TEAM,), False)], BACK + 600)


def test_a_long_stop_pages_each_tier_in_turn():
    fired, now, pages = [Fired(0, 0, T0)], BACK, []
    while now is not None:
        result = escalate(THREE, T0, "open", fired, [], now)
        fired += [Fired(item.round, item.step, now) for item in result.due]
        pages += [(item.step, now - BACK) for item in result.due]
        now = result.next_at
    assert pages == [(1, 0), (2, 1200)]
