"""The monitor state machine confirms a change only after N consecutive
results, and asks for a fast re-check while a change is unconfirmed.

Acceptance: "a target that fails once between successes never reaches down;
one that fails continuously is down within (fast re-check x confirmation)
seconds, not N whole intervals." evaluate() is pure: these tests feed it
results and clock values, nothing sleeps.
"""

from __future__ import annotations

import random

import pytest

from upstatd.clock import FakeClock
from upstatd.config.schema import Confirmation
from upstatd.monitors.evaluate import MonitorState, Outcome, Transition, evaluate

NAMES = {"p": "pending", "u": "up", "d": "down"}
T0 = 1_700_000_000.0    # wall time of the first result; results come 10 s apart
BEFORE = T0 - 3_600.0   # `since` of a confirmed starting state


def start(letter: str) -> MonitorState:
    return MonitorState() if letter == "p" else MonitorState(NAMES[letter], BEFORE)


def feed(state: MonitorState, results: str, confirmation: Confirmation) -> list[Outcome]:
    outcomes = []
    for i, result in enumerate(results):
        outcome = evaluate(state, "up" if result == "+" else "down", T0 + 10 * i, confirmation)
        outcomes.append(outcome)
        state = outcome.state
    return outcomes


# confirmation (failures, successes), starting state, results ("+" ok, "-" failed),
# then per result: the state after it, whether a re-check is asked ("!") or
# not ("."), and the transitions as {result index: "from>to"}.
CASES = [
    # pending -> up / down
    ((2, 1), "p", "+", "u", ".", {0: "p>u"}),
    ((2, 1), "p", "--", "pd", "!.", {1: "p>d"}),
    ((1, 1), "p", "-", "d", ".", {0: "p>d"}),
    ((3, 2), "p", "++", "pu", "!.", {1: "p>u"}),
    ((3, 2), "p", "---", "ppd", "!!.", {2: "p>d"}),
    ((2, 1), "p", "-+", "pu", "!.", {1: "p>u"}),
    ((3, 2), "p", "-+-+-+", "pppppp", "!!!!!!", {}),              # flapping never confirms
    # up -> down only after N consecutive failures
    ((2, 1), "u", "--", "ud", "!.", {1: "u>d"}),
    ((3, 1), "u", "---", "uud", "!!.", {2: "u>d"}),
    ((3, 2), "u", "--+---", "uuuuud", "!!.!!.", {5: "u>d"}),       # a success resets the count
    ((1, 1), "u", "-+", "du", "..", {0: "u>d", 1: "d>u"}),        # failures=1: no confirmation
    # a single failure between successes never reaches down
    ((2, 1), "u", "+-+-+-+-+", "uuuuuuuuu", ".!.!.!.!.", {}),
    ((3, 1), "u", "+--+--+", "uuuuuuu", ".!!.!!.", {}),
    ((2, 2), "u", "+-+-+", "uuuuu", ".!.!.", {}),
    ((2, 1), "u", "+++++", "uuuuu", ".....", {}),
    # down -> up after M successes; flapping while down stays down
    ((2, 1), "d", "+", "u", ".", {0: "d>u"}),
    ((2, 2), "d", "++", "du", "!.", {1: "d>u"}),
    ((2, 2), "d", "+-+-+", "ddddd", "!.!.!", {}),
    ((2, 3), "d", "++-+++", "dddddu", "!!.!!.", {5: "d>u"}),
    ((2, 1), "d", "-----", "ddddd", ".....", {}),
    # round trips
    ((3, 2), "u", "---++", "uuddu", "!!.!.", {2: "u>d", 4: "d>u"}),
    ((2, 2), "u", "--+-", "uddd", "!.!.", {1: "u>d"}),
    ((2, 1), "p", "+--+", "uudu", ".!..", {0: "p>u", 2: "u>d", 3: "d>u"}),
]


@pytest.mark.parametrize("confirm, first, results, states, rechecks, transitions", CASES,
                         ids=[f"f{c[0][0]}s{c[0][1]}-{c[1]}{c[2]}" for c in CASES])
def test_result_sequences(confirm, first, results, states, rechecks, transitions):
    assert len(states) == len(rechecks) == len(results)
    confirmation = Confirmation(failures=confirm[0], successes=confirm[1])
    outcomes = feed(start(first), results, confirmation)

    assert "".join(o.state.state[0] for o in outcomes) == states
    assert "".join("!" if o.recheck else "." for o in outcomes) == rechecks
    got = {i: f"{o.transition.from_state[0]}>{o.transition.to_state[0]}"
           for i, o in enumerate(outcomes) if o.transition is not None}
    assert got == transitions
    since = start(first).since
    for i, outcome in enumerate(outcomes):
        if i in transitions:
            since = T0 + 10 * i        # `since` moves on a transition, and only then
        assert outcome.state.since == since, i
        # The counters are the consecutive runs ending at this result.
        prefix = results[: i + 1]
        assert outcome.state.failures == len(prefix) - len(prefix.rstrip("-")), i
        assert outcome.state.successes == len(prefix) - len(prefix.rstrip("+")), i


def test_an_outcome_is_plain_data():
    confirmation = Confirmation(failures=2, successes=1)
    outcome = evaluate(MonitorState("up", BEFORE), "down", T0, confirmation)
    assert outcome == Outcome(MonitorState("up", BEFORE, 1, 0, "down", 1), None, True)
    outcome = evaluate(outcome.state, "down", T0 + 5, confirmation)
    assert outcome == Outcome(MonitorState("down", T0 + 5, 2, 0, "down", 2), Transition("up", "down"), False)
    # Pure: the same input gives the same output, and the input is untouched.
    state = MonitorState("up", BEFORE, 1, 0, "down", 1)
    assert evaluate(state, "down", T0 + 5, confirmation) == outcome
    assert state == MonitorState("up", BEFORE, 1, 0, "down", 1)


@pytest.mark.parametrize("failures", [1, 2, 3, 5])
@pytest.mark.parametrize("successes", [1, 2, 3])
def test_random_sequences_keep_the_rules(failures, successes):
    """Every rule at every step of 300 seeded random sequences, flapping-heavy."""
    confirmation = Confirmation(failures=failures, successes=successes)
    rng = random.Random(failures * 10 + successes)
    for _ in range(300):
        p_fail = rng.choice((0.1, 0.5, 0.9))
        results = "".join("-" if rng.random() < p_fail else "+" for _ in range(40))
        first = rng.choice("pud")
        state = start(first)
        for i, outcome in enumerate(feed(state, results, confirmation)):
            now = T0 + 10 * i
            ok = results[i] == "+"
            agree = "up" if ok else "down"
            run = results[: i + 1]
            run_length = len(run) - len(run.rstrip(results[i]))
            needed = successes if ok else failures
            if state.state == agree:
                assert outcome.transition is None and outcome.state.state == agree
            elif run_length >= needed:
                # N consecutive results confirm (and a run never overshoots:
                # the change happens on exactly the N-th).
                assert run_length == needed
                assert outcome.transition == Transition(state.state, agree)
                assert outcome.state.state == agree and outcome.state.since == now
            else:
                assert outcome.transition is None and outcome.state.state == state.state
            if outcome.transition is None:
                assert outcome.state.since == state.since
            # Re-check exactly while the latest result disagrees with the confirmed state.
            assert outcome.recheck == (outcome.state.state != agree)
            state = outcome.state


def probe_until_down(confirmation: Confirmation, interval: float, follow_recheck: bool):
    """The scheduling around evaluate(), reduced to its arithmetic: a target
    that is up, then fails every probe from t=0. After each result the next
    probe is `recheck` seconds away if the outcome asks for it, else a whole
    interval. Returns the probe times (seconds after the first failure) and
    the outcome at each."""
    clock = FakeClock(start=0.0, wall=T0)
    state = MonitorState("up", BEFORE)
    probes = []
    while True:
        outcome = evaluate(state, "down", clock.time(), confirmation)
        probes.append((clock.monotonic(), outcome))
        state = outcome.state
        if outcome.transition is not None or len(probes) > 100:
            return probes
        clock.advance(confirmation.recheck if outcome.recheck and follow_recheck else interval)


def test_a_continuously_failing_target_is_down_in_recheck_time_not_intervals():
    confirmation = Confirmation(failures=3, successes=1, recheck=5.0)
    probes = probe_until_down(confirmation, interval=60.0, follow_recheck=True)

    assert [t for t, _ in probes] == [0.0, 5.0, 10.0]
    assert [o.recheck for _, o in probes] == [True, True, False]
    t_down, last = probes[-1]
    assert last.transition == Transition("up", "down")
    assert last.state.since == T0 + 10.0
    assert t_down == 10.0 <= confirmation.recheck * confirmation.failures
    # What N whole intervals would have cost: 120 s.
    slow = probe_until_down(confirmation, interval=60.0, follow_recheck=False)
    assert [t for t, _ in slow] == [0.0, 60.0, 120.0]


@pytest.mark.parametrize("failures, recheck, down_at", [(1, 5.0, 0.0), (2, 5.0, 5.0), (3, 2.0, 4.0), (5, 10.0, 40.0)])
def test_down_after_failures_minus_one_rechecks(failures, recheck, down_at):
    confirmation = Confirmation(failures=failures, successes=1, recheck=recheck)
    probes = probe_until_down(confirmation, interval=300.0, follow_recheck=True)
    assert probes[-1][0] == down_at
    assert probes[-1][1].transition == Transition("up", "down")
    assert len(probes) == failures


def test_one_failure_between_successes_is_rechecked_and_never_down():
    # Probes every 60 s; the one at t=60 fails. The re-check 5 s later passes,
    # so the monitor never leaves up and goes back to its interval.
    confirmation = Confirmation(failures=3, successes=1, recheck=5.0)
    clock = FakeClock(start=0.0, wall=T0)
    state = MonitorState("up", BEFORE)
    failing_at = {60.0}
    timeline = []
    while clock.monotonic() <= 200.0:
        ok = clock.monotonic() not in failing_at
        outcome = evaluate(state, "up" if ok else "down", clock.time(), confirmation)
        timeline.append((clock.monotonic(), ok, outcome.state.state, outcome.recheck))
        assert outcome.transition is None
        state = outcome.state
        clock.advance(confirmation.recheck if outcome.recheck else 60.0)
    assert timeline == [
        (0.0, True, "up", False),
        (60.0, False, "up", True),
        (65.0, True, "up", False),
        (125.0, True, "up", False),
        (185.0, True, "up", False),
    ]
    assert state == MonitorState("up", BEFORE, 0, 3, "up", 3)


# Degraded: "u" up, "s" slow/degraded, "d" down results. (failures, successes),
# start, results, then the state after each, as letters (p, u, g=degraded, d).
DEGRADED_CASES = [
    ((2, 1), "u", "s", "u", {}),                    # one slow answer is not degraded yet
    ((2, 1), "u", "ss", "ug", {1: "u>g"}),          # two are (failures=2 confirms going worse)
    ((2, 1), "u", "susus", "uuuuu", {}),            # alternating slow/fast never confirms
    ((2, 2), "g", "uu", "gu", {1: "g>u"}),          # back to up after `successes` fast answers
    ((2, 2), "g", "usu", "ggg", {}),                # a slow one resets the way back
    ((2, 1), "g", "dd", "gd", {1: "g>d"}),          # degraded -> down like up -> down
    ((2, 2), "d", "su", "du", {1: "d>u"}),          # recovery counts any good answer, lands on the latest
    ((2, 2), "d", "us", "dg", {1: "d>g"}),
    ((2, 1), "p", "s", "g", {0: "p>g"}),            # pending takes the first confirmed state
    ((2, 1), "u", "sd", "uu", {}),                  # slow then down: neither confirmed
]
LETTER_RESULT = {"u": "up", "s": "degraded", "d": "down"}
LETTER_STATE = {"p": "pending", "u": "up", "g": "degraded", "d": "down"}


@pytest.mark.parametrize("confirm, first, results, states, transitions", DEGRADED_CASES)
def test_it_confirms_degraded_like_any_other_state(confirm, first, results, states, transitions):
    confirmation = Confirmation(failures=confirm[0], successes=confirm[1])
    state = MonitorState() if first == "p" else MonitorState(LETTER_STATE[first], BEFORE)
    seen_states, seen_transitions = "", {}
    for i, letter in enumerate(results):
        outcome = evaluate(state, LETTER_RESULT[letter], T0 + i, confirmation)
        seen_states += next(k for k, v in LETTER_STATE.items() if v == outcome.state.state)
        if outcome.transition:
            seen_transitions[i] = "{}>{}".format(*(next(k for k, v in LETTER_STATE.items() if v == s)
                                                   for s in outcome.transition))
        assert outcome.recheck == (outcome.state.state != LETTER_RESULT[letter])
        state = outcome.state
    assert (seen_states, seen_transitions) == (states, transitions)
