"""The policy of the escalation tables: the issue's example, "the on-call person now,
after 10 min the whole team, 20 min after that (30 min in) the manager's phone"."""

from __future__ import annotations

import msgspec

from upstatd.oncall.escalation import Policy, Step, Target, check_policy

T0 = 1_780_000_000.0    # the incident started
ON_CALL = Target("current_on_call", "sch_team")
TEAM = Target("schedule_members", "sch_team")
MANAGER = Target("user", "usr_manager")
THREE = check_policy(Policy((Step(0, (ON_CALL,)), Step(600, (TEAM,)), Step(1200, (MANAGER,)))))


def repeating(repeat: int, delay: float, first_wait: float = 0) -> Policy:
    steps = (msgspec.structs.replace(THREE.steps[0], wait_seconds=first_wait), *THREE.steps[1:])
    return check_policy(Policy(steps, repeat=repeat, repeat_delay_seconds=delay))
