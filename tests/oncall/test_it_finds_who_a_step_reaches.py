"""recipients: the users and channels a step's targets reach at the moment it fires."""

from __future__ import annotations

import pytest

from upstatd.oncall.escalation import Recipients, Target, recipients
from upstatd.oncall.rotations import Override

from oncallkit import layer, schedule, utc

TEAM = schedule(layer("a b", "2026-05-01T09:00", "daily"), layer("c", "2026-05-01T00:00", "weekly"),
                overrides=[Override("usr_o", utc("2026-05-10T00:00:00"), utc("2026-05-11T00:00:00"))])
LATER = schedule(layer("z", "2027-01-01T00:00", "daily"))
SCHEDULES = {"sch_team": TEAM, "sch_later": LATER}


@pytest.mark.parametrize("targets, at, users, channels", [
    ([Target("current_on_call", "sch_team")], "2026-05-02T10:00:00", ["usr_c"], []),   # the top layer
    ([Target("current_on_call", "sch_team")], "2026-05-10T10:00:00", ["usr_o"], []),   # an override
    ([Target("current_on_call", "sch_later")], "2026-05-02T10:00:00", [], []),         # nobody on call
    ([Target("schedule_members", "sch_team")], "2026-05-02T10:00:00", ["usr_a", "usr_b", "usr_c", "usr_o"], []),
    ([Target("user", "usr_c"), Target("current_on_call", "sch_team"), Target("channel", "ch_ops")],
     "2026-05-02T10:00:00", ["usr_c"], ["ch_ops"]),                                    # each once
    ([Target("current_on_call", "sch_gone"), Target("schedule_members", "sch_gone")], "2026-05-02T10:00:00",
     [], []),
])
def test_it_finds_who_a_step_reaches(targets, at, users, channels):
    assert recipients(targets, SCHEDULES, utc(at)) == Recipients(users, channels)
