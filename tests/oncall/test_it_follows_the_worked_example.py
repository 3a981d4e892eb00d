"""The worked example of docs/on-call.md, as the cores compute it."""

from __future__ import annotations

from upstatd.oncall.escalation import Policy, Step, Target, check_policy, recipients
from upstatd.oncall.layers import Restriction
from upstatd.oncall.rotations import Override, shifts

from oncallkit import drive, layer, local, schedule, utc

RIGA = "Europe/Riga"
OPS = schedule(
    layer("anna bob", "2026-03-06T10:00", "weekly", RIGA),
    layer("lead", "2026-03-02T00:00", "weekly", RIGA, [Restriction(("mon", "tue", "wed", "thu", "fri"), "09:00", "17:00")]),
    overrides=[Override("usr_anna", utc("2026-03-31T15:00:00"), utc("2026-03-31T20:00:00"))])   # 18:00-23:00 EEST
POLICY = check_policy(Policy((Step(0, (Target("current_on_call", "ops"),)),
                              Step(600, (Target("schedule_members", "ops"),)),
                              Step(1200, (Target("user", "usr_manager"),))), repeat=2, repeat_delay_seconds=600))


def test_the_rotation_of_the_example():
    week = shifts(OPS, utc("2026-03-30T21:00:00"), utc("2026-04-01T21:00:00"))   # Tuesday and Wednesday, local
    assert [(item.user.removeprefix("usr_"), local(item.start, RIGA)[5:], local(item.end, RIGA)[5:])
            for item in week] == [
        ("bob", "03-31T00:00+03:00", "03-31T09:00+03:00"),
        ("lead", "03-31T09:00+03:00", "03-31T17:00+03:00"),
        ("bob", "03-31T17:00+03:00", "03-31T18:00+03:00"),
        ("anna", "03-31T18:00+03:00", "03-31T23:00+03:00"),   # the override
        ("bob", "03-31T23:00+03:00", "04-01T09:00+03:00"),
        ("lead", "04-01T09:00+03:00", "04-01T17:00+03:00"),
        ("bob", "04-01T17:00+03:00", "04-02T00:00+03:00")]
    spring = [item for item in shifts(schedule(OPS.layers[0]), utc("2026-03-20T00:00:00"), utc("2026-04-10T00:00:00"))]
    assert (spring[2].user, local(spring[2].start, RIGA), (spring[2].end - spring[2].start) / 3600) == (
        "usr_bob", "2026-03-27T10:00+02:00", 167)


def test_the_policy_of_the_example():
    opened = utc("2026-04-01T09:00:00")     # Wednesday 12:00 in Riga
    minutes = [(round_, step, after / 60) for round_, step, after in drive(POLICY, opened, opened + 86400)]
    assert minutes == [(0, 0, 0), (0, 1, 10), (0, 2, 30), (1, 0, 40), (1, 1, 50), (1, 2, 70),
                       (2, 0, 80), (2, 1, 90), (2, 2, 110)]
    acknowledged = drive(POLICY, opened, opened + 86400, status_at=[(opened + 900, "acknowledged")])
    assert [(round_, step) for round_, step, _ in acknowledged] == [(0, 0), (0, 1)]
    assert recipients(POLICY.steps[0].targets, {"ops": OPS}, opened).users == ["usr_lead"]
    assert recipients(POLICY.steps[1].targets, {"ops": OPS}, opened + 600).users == ["usr_anna", "usr_bob", "usr_lead"]
