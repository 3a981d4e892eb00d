"""The escalation state machine while an incident is open, and how acknowledge,
resolve and close stop it (nothing due, no next time)."""

from __future__ import annotations

import pytest

from upstatd.oncall.escalation import Due, Fired, escalate

from escalationkit import MANAGER, ON_CALL, T0, TEAM, THREE
from oncallkit import drive

F0, F1, F2 = Fired(0, 0, T0), Fired(0, 1, T0 + 600), Fired(0, 2, T0 + 1800)


@pytest.mark.parametrize("status, fired, now, due, next_at", [
    ("open", [], T0, [Due(0, 0, T0, (ON_CALL,), False)], T0 + 600),     # step 1 at once
    ("open", [F0], T0, [], T0 + 600),                                     # fired once, not again
    ("open", [F0], T0 + 599, [], T0 + 600),
    ("open", [F0], T0 + 600, [Due(0, 1, T0 + 600, (TEAM,), False)], T0 + 1800),
    ("open", [F0, F1], T0 + 1799, [], T0 + 1800),
    ("open", [F1, F0], T0 + 1800, [Due(0, 2, T0 + 1800, (MANAGER,), False)], None),  # any order; the last
    ("open", [F0, F1, F2], T0 + 9999, [], None),                          # all fired: done
    ("acknowledged", [F0], T0 + 600, [], None),
    ("acknowledged", [], T0, [], None),
    ("resolved", [F0], T0 + 600, [], None),
    ("closed", [F0, F1], T0 + 1800, [], None),
])
def test_it_decides_the_due_steps(status, fired, now, due, next_at):
    assert escalate(THREE, T0, status, fired, [], now) == (due, next_at)


def test_the_next_wait_counts_from_when_the_step_before_fired():
    late = Fired(0, 0, T0 + 45)      # the daemon fired step 1 45 s late
    assert escalate(THREE, T0, "open", [late], [], T0 + 600).next_at == T0 + 645


@pytest.mark.parametrize("changes, fired", [
    ((), [(0, 0, 0), (0, 1, 600), (0, 2, 1800)]),
    (((900, "acknowledged"),), [(0, 0, 0), (0, 1, 600)]),                 # between steps 2 and 3
    (((300, "resolved"),), [(0, 0, 0)]),                                  # before step 2: it never fires
    (((0, "acknowledged"),), []),                                         # acknowledged at once
    (((600, "acknowledged"),), [(0, 0, 0)]),                              # in the instant step 2 falls due
])
def test_it_escalates_until_someone_acknowledges(changes, fired):
    moves = [(T0 + at, status) for at, status in changes]
    assert drive(THREE, T0, T0 + 86400, status_at=moves) == fired
