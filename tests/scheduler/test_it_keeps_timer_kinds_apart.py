"""Named timer kinds on one Runner: each kind is its own key space on the one
wheel and its due timers go to its own handler. A real Runner on a FakeClock,
fired by hand; no event loop ticks, no sleeps."""

from __future__ import annotations

import pytest

from upstatd.clock import FakeClock
from upstatd.scheduler.runner import Runner

START = 1000.0
TICK = 0.01


def runner_with(*kinds: str):
    """A Runner with `kinds` registered; returns it, their Timers and what each handler got."""
    runner = Runner(FakeClock(start=START), tick=TICK)
    got: dict[str, list] = {kind: [] for kind in kinds}
    timers = {kind: runner.timers(kind, lambda key, when, now, kind=kind: got[kind].append((key, when)))
              for kind in kinds}
    return runner, timers, got


def fire(runner: Runner, at: float) -> int:
    runner.clock.advance(at - runner.clock.monotonic())
    return runner.fire(runner.clock.monotonic())


# (what is done to kinds a and b, then what each handler gets once both times passed)
CASES = {
    "the same key in two kinds is two timers": (
        [("a", "schedule", "m", 1.0), ("b", "schedule", "m", 2.0)],
        {"a": [("m", 1.0)], "b": [("m", 2.0)]}),
    "the same key at the same time still fires once per kind": (
        [("a", "schedule", "m", 1.0), ("b", "schedule", "m", 1.0)],
        {"a": [("m", 1.0)], "b": [("m", 1.0)]}),
    "cancelling one kind leaves the other": (
        [("a", "schedule", "m", 1.0), ("b", "schedule", "m", 2.0), ("a", "cancel", "m", None)],
        {"a": [], "b": [("m", 2.0)]}),
    "rescheduling one kind leaves the other": (
        [("a", "schedule", "m", 1.0), ("b", "schedule", "m", 2.0), ("a", "schedule", "m", 3.0)],
        {"a": [("m", 3.0)], "b": [("m", 2.0)]}),
    "cancelling a key never scheduled in that kind does nothing": (
        [("a", "schedule", "m", 1.0), ("b", "cancel", "m", None)],
        {"a": [("m", 1.0)], "b": []}),
    "keys of any hashable shape": (
        [("a", "schedule", ("x", 1), 1.0), ("b", "schedule", 7, 1.5)],
        {"a": [(("x", 1), 1.0)], "b": [(7, 1.5)]}),
}


@pytest.mark.parametrize("steps, expected", CASES.values(), ids=CASES.keys())
def test_each_kind_is_its_own_key_space(steps, expected):
    runner, timers, got = runner_with("a", "b")
    for kind, action, key, offset in steps:
        if action == "schedule":
            timers[kind].schedule(key, START + offset)
        else:
            timers[kind].cancel(key)
    fired = fire(runner, START + 10)
    assert {kind: [(key, when - START) for key, when in calls] for kind, calls in got.items()} == expected
    assert fired == sum(len(calls) for calls in expected.values())
    assert len(runner.wheel) == 0


def test_when_and_cancel_answer_for_their_own_kind():
    runner, timers, _ = runner_with("a", "b")
    timers["a"].schedule("m", START + 1)
    assert timers["a"].when("m") == START + 1
    assert timers["b"].when("m") is None
    assert timers["b"].cancel("m") is False
    assert timers["a"].cancel("m") is True
    assert timers["a"].when("m") is None


def test_due_timers_reach_handlers_oldest_first_across_kinds():
    runner = Runner(FakeClock(start=START), tick=TICK)
    order = []
    a = runner.timers("a", lambda key, when, now: order.append(("a", key)))
    b = runner.timers("b", lambda key, when, now: order.append(("b", key)))
    a.schedule("late", START + 3)
    b.schedule("early", START + 1)
    a.schedule("middle", START + 2)
    fire(runner, START + 5)
    assert order == [("b", "early"), ("a", "middle"), ("a", "late")]


def test_a_handler_gets_when_and_now():
    runner = Runner(FakeClock(start=START), tick=TICK)
    calls = []
    runner.timers("a", lambda key, when, now: calls.append((key, when, now))).schedule("m", START + 1)
    fire(runner, START + 4)
    assert calls == [("m", START + 1, START + 4)]
    assert runner.stats.due == 1 and runner.stats.lateness_max == pytest.approx(3)


def test_registering_a_kind_twice_fails():
    runner, _, _ = runner_with("monitor.slot")
    with pytest.raises(ValueError, match="monitor.slot"):
        runner.timers("monitor.slot", lambda key, when, now: None)


def test_a_runner_needs_no_callback_and_takes_its_settings_by_name():
    runner = Runner(FakeClock(), max_in_flight=5, tick=0.05)
    assert (runner.max_in_flight, runner.wheel.tick) == (5, 0.05)
    assert runner.fire(runner.clock.monotonic() + 1) == 0
    with pytest.raises(TypeError):
        Runner(FakeClock(), lambda key, when, now: None)  # the old on_due: kinds carry handlers now
