"""`repeat` K: 1 + K rounds of the policy, each after `repeat_delay_seconds`
(plus the first step's wait) from the round before's last step."""

from __future__ import annotations

import pytest

from upstatd.oncall.escalation import EscalationError, can_escalate, escalate, Fired

from escalationkit import T0, THREE, repeating
from oncallkit import drive


@pytest.mark.parametrize("policy, fired", [
    (THREE, [(0, 0, 0), (0, 1, 600), (0, 2, 1800)]),
    (repeating(1, 300), [(0, 0, 0), (0, 1, 600), (0, 2, 1800), (1, 0, 2100), (1, 1, 2700), (1, 2, 3900)]),
    (repeating(2, 300), [(0, 0, 0), (0, 1, 600), (0, 2, 1800), (1, 0, 2100), (1, 1, 2700), (1, 2, 3900),
                         (2, 0, 4200), (2, 1, 4800), (2, 2, 6000)]),
    (repeating(1, 0, first_wait=120), [(0, 0, 120), (0, 1, 720), (0, 2, 1920), (1, 0, 2040), (1, 1, 2640),
                                       (1, 2, 3840)]),
])
def test_it_runs_every_round(policy, fired):
    assert drive(policy, T0, T0 + 86400) == fired


def test_acknowledge_in_a_later_round_stops_it():
    assert drive(repeating(2, 300), T0, T0 + 86400, status_at=[(T0 + 2500, "acknowledged")]) == [
        (0, 0, 0), (0, 1, 600), (0, 2, 1800), (1, 0, 2100)]


def test_the_last_step_of_the_last_round_ends_it():
    policy = repeating(1, 300)
    everything = [Fired(r, s, T0) for r in (0, 1) for s in (0, 1, 2)]
    assert escalate(policy, T0, "open", everything, [], T0 + 86400) == ([], None)
    assert not can_escalate(policy, "open", everything)
    assert can_escalate(policy, "open", everything[:5])


def test_a_repeat_needs_a_gap_between_rounds():
    with pytest.raises(EscalationError) as caught:
        repeating(1, 30, first_wait=29)     # a round's first page 59 s after the last round's last
    assert caught.value.param == "repeat_delay_seconds"
    assert repeating(1, 30, first_wait=30).repeat == 1
