"""The wheel fires every timer once, at its slot, never early.

Acceptance: "100,000 timers on a fake clock fire at their slots, never early,
and rescheduling/cancel are O(1)" (the O(1) half is in
test_it_reschedules_in_constant_time.py). Pure core: a FakeClock supplies
`now`, nothing sleeps.
"""

from __future__ import annotations

import math
import random

import pytest

from upstatd.clock import FakeClock
from upstatd.scheduler.wheel import TimerWheel

START = 1_000.0          # FakeClock's default monotonic start
SPAN = 600.0             # timers spread over ten minutes
TICK = 0.01
EPS = 1e-9               # float slack for "a whole tick overdue"


def make_timers(n: int, seed: int, tick: float = TICK) -> dict[str, float]:
    """n timers over SPAN seconds: most at random times, some exactly on tick
    boundaries, some sharing one time."""
    rng = random.Random(seed)
    timers = {}
    for i in range(n):
        kind = i % 10
        if kind == 0:    # on a tick boundary, the float way a caller would compute it
            when = START + rng.randrange(1, int(SPAN / tick)) * tick
        elif kind == 1:  # many timers at one of a few shared times
            when = START + rng.choice((1.0, 59.995, 300.0, 599.99))
        else:
            when = START + rng.uniform(0.0, SPAN)
        timers[f"mon_{i}"] = when
    return timers


def run(wheel: TimerWheel, clock: FakeClock, steps, timers: dict[str, float], tick: float):
    """Advance along `steps`; check the invariants after every advance.

    Returns {key: now at which it fired}."""
    by_when = sorted(timers.items(), key=lambda item: item[1])
    overdue = 0                      # by_when[:overdue] must all have fired
    fired_at: dict[str, float] = {}
    for step in steps:
        clock.advance(step)
        now = clock.monotonic()
        due = wheel.advance(now)
        whens = [when for _, when in due]
        assert whens == sorted(whens), "a batch comes out in `when` order"
        for key, when in due:
            assert key not in fired_at, f"{key} fired twice"
            assert when == timers[key], "the batch carries the scheduled `when`"
            assert when <= now, f"{key} fired early: when={when!r} now={now!r}"
            fired_at[key] = now
        # Nothing is left behind once its whole tick has passed.
        while overdue < len(by_when) and by_when[overdue][1] <= now - tick - EPS:
            key = by_when[overdue][0]
            assert key in fired_at, f"{key} (when={by_when[overdue][1]!r}) still waiting at {now!r}"
            overdue += 1
        assert len(wheel) == len(timers) - len(fired_at)
    return fired_at


def test_100k_timers_fire_once_in_order_never_early_on_10ms_ticks():
    timers = make_timers(100_000, seed=20240601)
    clock = FakeClock(START)
    wheel = TimerWheel(clock.monotonic(), tick=TICK)
    for key, when in timers.items():
        wheel.schedule(key, when)
    assert len(wheel) == 100_000

    steps = [TICK] * (int(SPAN / TICK) + 2)   # advance called every tick, a little past the end
    fired_at = run(wheel, clock, steps, timers, TICK)

    assert fired_at.keys() == timers.keys()
    assert len(wheel) == 0
    lateness = [fired_at[key] - when for key, when in timers.items()]
    assert min(lateness) >= 0.0
    # Ticks are processed once `now` passes their end; with float `now` values
    # a step can land a hair before a tick's end, so a timer can wait up to
    # one tick for its slot plus one 10 ms step for the next advance.
    # (An accumulating FakeClock is almost always a hair off the tick ends:
    # measured max 19.99 ms, mean ~14 ms. test_..._when_ticks_are_exact below
    # pins the exact within-one-tick bound.)
    assert max(lateness) < 2 * TICK


def test_100k_timers_fire_within_one_tick_when_ticks_are_exact():
    # A binary tick (1/128 s) makes every `now` exactly a tick's end, so the
    # bound is the exact one: a timer fires at the end of its tick,
    # ceil(when / tick) * tick, less than a tick after `when`.
    tick = 2.0 ** -7
    timers = make_timers(100_000, seed=7, tick=tick)
    clock = FakeClock(START)
    wheel = TimerWheel(clock.monotonic(), tick=tick, slots=4096)
    for key, when in timers.items():
        wheel.schedule(key, when)

    fired_at = run(wheel, clock, [tick] * (int(SPAN / tick) + 2), timers, tick)

    assert fired_at.keys() == timers.keys()
    for key, when in timers.items():
        assert fired_at[key] == math.ceil(when / tick) * tick, key
        assert 0.0 <= fired_at[key] - when < tick


@pytest.mark.parametrize("slots", [4096, 64])
def test_irregular_jumps_fire_everything_due_and_nothing_early(slots):
    # Steps of 0 (same now), sub-tick, a few ticks, seconds, and jumps longer
    # than the wheel's span (slots * tick: 40.96 s, or 0.64 s with 64 slots).
    timers = make_timers(20_000, seed=slots)
    clock = FakeClock(START)
    wheel = TimerWheel(clock.monotonic(), tick=TICK, slots=slots)
    for key, when in timers.items():
        wheel.schedule(key, when)
    rng = random.Random(99)
    choices = (0.0, 0.0003, 0.004, 0.01, 0.017, 0.25, 1.3, 7.0, 30.0, 45.0)
    steps = []
    elapsed = 0.0
    while elapsed <= SPAN + 1:
        step = rng.choice(choices)
        steps.append(step)
        elapsed += step

    fired_at = run(wheel, clock, steps, timers, TICK)

    assert fired_at.keys() == timers.keys()
    assert len(wheel) == 0


def test_a_jump_past_the_whole_wheel_fires_exactly_what_is_due():
    timers = make_timers(10_000, seed=3)
    cut = START + 100.005
    # Keep the jump's end away from the tick fuzz: no timer in the last 20 ms.
    timers = {key: when for key, when in timers.items() if not cut - 0.02 < when <= cut}
    wheel = TimerWheel(START, tick=TICK, slots=4096)   # span 40.96 s
    for key, when in timers.items():
        wheel.schedule(key, when)

    due = wheel.advance(cut)   # 100 s in one go: more than two turns of the wheel

    expected = sorted(((key, when) for key, when in timers.items() if when <= cut),
                      key=lambda item: item[1])
    assert [when for _, when in due] == [when for _, when in expected]
    assert {key for key, _ in due} == {key for key, _ in expected}
    assert 1_000 < len(due) < len(timers)
    assert len(wheel) == len(timers) - len(due)
    rest = wheel.advance(START + SPAN + 1)
    assert {key for key, _ in rest} == timers.keys() - {key for key, _ in due}
    assert len(wheel) == 0


@pytest.mark.parametrize("jump", [1, 2, 7, 8, 9, 15, 16, 17, 33])
def test_jumps_around_the_span_on_a_tiny_wheel(jump):
    # tick 1.0 and 8 slots: exact arithmetic, so the set is exact - a timer
    # fires iff when <= now. Jumps of 7, 8 and 9 ticks straddle the switch
    # from walking the slots to one pass over all of them.
    wheel = TimerWheel(0.0, tick=1.0, slots=8)
    timers = {f"t{w}": w for w in (x / 2 for x in range(1, 81))}   # 0.5 .. 40.0
    for key, when in timers.items():
        wheel.schedule(key, when)
    now = 0.0
    fired: list[float] = []
    while now < 41:
        now += jump
        due = wheel.advance(now)
        assert [when for _, when in due] == sorted(w for w in timers.values() if now - jump < w <= now)
        fired += [when for _, when in due]
    assert sorted(fired) == sorted(timers.values())
    assert len(wheel) == 0


def test_a_time_just_after_a_tick_boundary_is_not_fired_at_the_boundary():
    # 0.030000000000000002 / 0.01 == 3.0 == 0.03 / 0.01: the timer must not
    # fire at now = 0.03, one ulp early.
    when = 0.030000000000000002
    assert when > 0.03 and when / 0.01 == 0.03 / 0.01 == 3.0
    wheel = TimerWheel(0.0, tick=0.01)
    wheel.schedule("a", when)
    assert wheel.advance(0.03) == []
    assert wheel.advance(0.04) == [("a", when)]


def test_never_early_at_every_float_tick_boundary():
    # Every boundary k * 0.01 and its float neighbours, advanced one ulp short
    # of the timer and then exactly to it.
    for k in range(1, 20_000):
        for when in (k * TICK, math.nextafter(k * TICK, math.inf), math.nextafter(k * TICK, -math.inf)):
            wheel = TimerWheel(0.0, tick=TICK, slots=8)
            wheel.schedule("a", when)
            before = math.nextafter(when, -math.inf)
            assert wheel.advance(before) == [], (k, when)
            assert wheel.advance(when + TICK + EPS) == [("a", when)], (k, when)


def test_within_one_advance_timers_come_out_in_when_order():
    wheel = TimerWheel(0.0, tick=1.0, slots=4)
    # Inserted out of order, across slots and across rounds of one slot
    # (1.0, 5.0 and 9.0 share slot 1).
    for key, when in [("e", 9.0), ("a", 0.5), ("d", 5.0), ("b", 1.0), ("c", 2.7), ("f", 9.0)]:
        wheel.schedule(key, when)
    assert wheel.advance(20.0) == [("a", 0.5), ("b", 1.0), ("c", 2.7), ("d", 5.0), ("e", 9.0), ("f", 9.0)]


def test_reschedule_moves_a_timer():
    wheel = TimerWheel(0.0, tick=1.0, slots=8)
    wheel.schedule("a", 3.0)
    wheel.schedule("b", 3.0)
    wheel.schedule("a", 20.0)          # later, and more than a span away
    assert len(wheel) == 2
    assert wheel.when("a") == 20.0
    assert wheel.advance(3.0) == [("b", 3.0)]
    assert wheel.advance(19.0) == []
    assert wheel.advance(20.0) == [("a", 20.0)]
    assert wheel.advance(100.0) == []    # once

    wheel.schedule("c", 50.0)
    wheel.schedule("c", 101.0)         # earlier than before... then earlier still
    wheel.schedule("c", 102.0)
    wheel.schedule("c", 100.5)
    assert wheel.when("c") == 100.5
    assert len(wheel) == 1
    assert wheel.advance(101.0) == [("c", 100.5)]
    assert wheel.advance(200.0) == []

    wheel.schedule("a", 205.0)         # a fired key can be scheduled again
    assert wheel.advance(204.0) == []
    assert wheel.advance(205.0) == [("a", 205.0)]


def test_cancel_prevents_firing():
    wheel = TimerWheel(0.0, tick=1.0, slots=8)
    wheel.schedule("a", 2.0)
    wheel.schedule("b", 2.0)
    wheel.schedule("c", 30.0)
    assert wheel.cancel("a") is True
    assert wheel.cancel("a") is False
    assert wheel.cancel("never") is False
    assert "a" not in wheel and "b" in wheel
    assert wheel.when("a") is None
    assert len(wheel) == 2
    assert wheel.cancel("c") is True
    assert wheel.advance(100.0) == [("b", 2.0)]
    assert wheel.cancel("b") is False     # already fired
    assert len(wheel) == 0


def test_schedule_in_the_past_fires_at_the_next_tick():
    wheel = TimerWheel(0.0, tick=1.0, slots=8)
    assert wheel.advance(10.0) == []
    wheel.schedule("late", 3.0)
    wheel.schedule("now", 10.0)
    assert wheel.when("late") == 3.0
    assert wheel.advance(11.0) == [("late", 3.0), ("now", 10.0)]
    assert len(wheel) == 0


def test_when_len_and_contains():
    wheel = TimerWheel(START, tick=TICK)
    assert len(wheel) == 0 and "x" not in wheel and wheel.when("x") is None
    wheel.schedule("x", START + 5.0)
    wheel.schedule(("monitor", 7), START + 0.5)   # any hashable key
    assert len(wheel) == 2
    assert "x" in wheel and ("monitor", 7) in wheel
    assert wheel.when("x") == START + 5.0
    assert wheel.when(("monitor", 7)) == START + 0.5
    assert wheel.advance(START + 1.0) == [(("monitor", 7), START + 0.5)]
    assert ("monitor", 7) not in wheel and wheel.when(("monitor", 7)) is None
    assert len(wheel) == 1


def test_time_going_back_fires_nothing():
    wheel = TimerWheel(10.0, tick=1.0, slots=8)
    wheel.schedule("a", 12.0)
    assert wheel.advance(9.0) == []
    assert wheel.advance(11.0) == []
    assert wheel.advance(5.0) == []
    assert wheel.advance(12.0) == [("a", 12.0)]


@pytest.mark.parametrize("tick, slots", [(0.0, 8), (-1.0, 8), (0.01, 0)])
def test_rejects_a_wheel_without_ticks_or_slots(tick, slots):
    with pytest.raises(ValueError):
        TimerWheel(0.0, tick=tick, slots=slots)
