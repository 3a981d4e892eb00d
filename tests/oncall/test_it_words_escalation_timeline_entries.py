"""The timeline entry of a step fired: which step of how many, which round,
whether it was asked for, and who it paged (people by name, then channels)."""

from __future__ import annotations

import pytest

from upstatd.oncall.escalation import Due, Policy, Step, Target
from upstatd.oncall.escalations import timeline_message

ON_CALL = Target("current_on_call", "sch_ops")
THREE = Policy((Step(0, (ON_CALL,)), Step(600, (ON_CALL,)), Step(1200, (ON_CALL,))))
ANNA, BOB = {"id": "usr_anna", "name": "Anna Berzina"}, {"id": "usr_bob", "name": "Bob"}

CASES = [
    (THREE, Due(0, 1, 0, (), False), [ANNA, BOB], [], "Escalated (step 2 of 3, round 1): paged Anna Berzina, Bob"),
    (THREE, Due(0, 0, 0, (), True), [ANNA], [], "Escalated (step 1 of 3, round 1, escalated now on request): "
                                                "paged Anna Berzina"),
    (Policy(THREE.steps, repeat=2, repeat_delay_seconds=600), Due(1, 2, 0, (), False), [BOB], ["ch_pager"],
     "Escalated (step 3 of 3, round 2 of 3): paged Bob, channel ch_pager"),
    (THREE, Due(0, 0, 0, (), False), [], [], "Escalated (step 1 of 3, round 1): nobody to page (no one on call, "
                                             "or no contact method)"),
]


@pytest.mark.parametrize("policy, due, people, channels, expected", CASES)
def test_the_entry_says_the_step_and_who_it_paged(policy, due, people, channels, expected):
    assert timeline_message(due, policy, people, channels) == expected
