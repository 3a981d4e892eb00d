"""check_policy: each unusable field refused with its name."""

from __future__ import annotations

import pytest

from upstatd.oncall.escalation import EscalationError, Policy, Step, Target, check_policy

ON_CALL = Target("current_on_call", "sch_team")
GOOD = Step(0, (ON_CALL,))


@pytest.mark.parametrize("bad, param, says", [
    (Policy(()), "steps", "1 to 20 steps"),
    (Policy((GOOD,) * 21), "steps", "1 to 20 steps"),
    (Policy((GOOD, Step(-1, (ON_CALL,)))), "steps[1].wait_seconds", "between 0 and"),
    (Policy((Step(8 * 86400, (ON_CALL,)),)), "steps[0].wait_seconds", "7 days"),
    (Policy((GOOD, Step(60, ()))), "steps[1].targets", "at least one target"),
    (Policy((Step(0, (ON_CALL, Target("pager", "x"))),)), "steps[0].targets[1].type", "'pager'"),
    (Policy((Step(0, (Target("user", ""),)),)), "steps[0].targets[0].id", "empty"),
    (Policy((GOOD,), repeat=11), "repeat", "between 0 and 10"),
    (Policy((GOOD,), repeat=-1), "repeat", "between 0 and 10"),
    (Policy((GOOD,), repeat=1, repeat_delay_seconds=-5), "repeat_delay_seconds", "between 0"),
    (Policy((GOOD,), repeat=1), "repeat_delay_seconds", "at least 60 s"),
])
def test_it_names_the_bad_policy_field(bad, param, says):
    with pytest.raises(EscalationError) as caught:
        check_policy(bad)
    assert caught.value.param == param and says in str(caught.value)


def test_it_takes_good_ones_as_they_are():
    good = Policy((GOOD, Step(600, (Target("channel", "ch_ops"), Target("schedule_members", "sch_team")))),
                  repeat=2, repeat_delay_seconds=300)
    assert check_policy(good) is good
    assert check_policy(Policy((GOOD,))) == Policy((GOOD,))   # no repeat: no gap needed
