"""evaluate.enter_maintenance / leave_maintenance (pure): a window shows
`maintenance` whatever the state was; its end goes back to the state the
monitor went in with (pending when unknown), counts started over, so an
outage after it is confirmed as any other."""

from __future__ import annotations

import pytest

from upstatd.config.schema import Confirmation
from upstatd.monitors.evaluate import MonitorState, Transition, enter_maintenance, evaluate, leave_maintenance


@pytest.mark.parametrize("state", ["pending", "up", "degraded", "down"])
def test_a_window_shows_maintenance(state):
    entered, transition = enter_maintenance(MonitorState(state, 10.0, failures=1, last="down", streak=1), 50.0)
    assert entered == MonitorState("maintenance", 50.0)
    assert transition == Transition(state, "maintenance")


@pytest.mark.parametrize("before, after", [("up", "up"), ("down", "down"), ("degraded", "degraded"),
                                           ("pending", "pending"), (None, "pending"), ("maintenance", "pending")])
def test_its_end_goes_back_to_the_state_it_went_in_with(before, after):
    left, transition = leave_maintenance(before, 90.0)
    assert left == MonitorState(after, 90.0) and transition == Transition("maintenance", after)


def test_an_outage_after_the_window_needs_the_usual_failures():
    confirmation = Confirmation(failures=2)
    state, _ = leave_maintenance("up", 90.0)
    first = evaluate(state, "down", 95.0, confirmation)
    assert first.transition is None and first.recheck
    second = evaluate(first.state, "down", 100.0, confirmation)
    assert second.transition == Transition("up", "down")
