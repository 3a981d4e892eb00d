"""A monitor moving between the agents of a region is handed over on the grid
(upstatd.regions.split.replan and owns, docs/regions.md).

Acceptance: "no monitor probed twice or skipped in the same slot across a
move". replan() gives each monitor windows of wall time, one per agent; the
old owner keeps the slots before now + handoff, the new one takes the rest. A
table of moves, then a long random run of agents coming and going in which
every grid slot has exactly one owner. Pure: every time is given.
"""

from __future__ import annotations

import random

import pytest

from upstatd.regions.split import Window, owner, owner_at, owns, replan

A, B, X = "agt_alpha", "agt_bravo", "agt_xray"
T0 = 1_700_000_000.0     # now, in the table
H = 10.0                 # handoff
SOON = T0 + 4.0          # the switch of a move under way (begun 6 s ago)
PAST = T0 - 5.0          # the switch of a move completed 5 s ago


def key_for(target: str, live) -> str:
    """A monitor key the rendezvous hash gives to `target` among `live`."""
    for i in range(1000):
        if owner(f"mon_{i}", live) == target:
            return f"mon_{i}"
    raise AssertionError(f"no key for {target} among {live}")


def w(agent, since=None, until=None) -> Window:
    return Window(agent, since, until)


CASES = [
    # current windows, live agents, their rendezvous owner (T), the new windows
    pytest.param((), (A, B), B, (w(B),), id="new-monitor-goes-to-T-at-once"),
    pytest.param((w(A),), (), None, (), id="no-live-agent-no-window"),
    pytest.param((w(A),), (A, B), A, (w(A),), id="owner-stays"),
    pytest.param((w(A, T0 - 100),), (A, B), A, (w(A, T0 - 100),), id="owner-stays-since-kept"),
    pytest.param((w(A),), (A, B), B, (w(A, None, T0 + H), w(B, T0 + H)), id="move-handed-over"),
    pytest.param((w(A, T0 - 100),), (A, B), B, (w(A, T0 - 100, T0 + H), w(B, T0 + H)),
                 id="move-keeps-the-old-since"),
    pytest.param((w(A),), (B,), B, (w(B),), id="owner-gone-moves-at-once"),
    pytest.param((w(A),), (B, X), X, (w(X),), id="owner-gone-moves-at-once-to-T"),
    # a move under way (A until SOON, then B)
    pytest.param((w(A, None, SOON), w(B, SOON)), (A, B), B, (w(A, None, SOON), w(B, SOON)),
                 id="move-under-way-keeps-its-time"),
    pytest.param((w(A, None, SOON), w(B, SOON)), (A,), A, (w(A),), id="new-owner-dies-mid-handoff"),
    pytest.param((w(A, None, SOON), w(B, SOON)), (A, B, X), A, (w(A),), id="move-cancelled-mid-handoff"),
    pytest.param((w(A, None, SOON), w(B, SOON)), (A, B, X), X, (w(A, None, T0 + H), w(X, T0 + H)),
                 id="move-to-a-third-agent-mid-handoff"),
    pytest.param((w(A, None, SOON), w(B, SOON)), (A, X), X, (w(A, None, T0 + H), w(X, T0 + H)),
                 id="new-owner-dies-and-a-third-comes-mid-handoff"),
    pytest.param((w(A, None, SOON), w(B, SOON)), (B,), B, (w(B),), id="old-owner-dies-mid-handoff"),
    pytest.param((w(A, None, SOON), w(B, SOON)), (B, X), X, (w(X),), id="old-owner-dies-mid-handoff-to-T"),
    # a move completed (A until PAST, then B): the expired window is dropped
    pytest.param((w(A, None, PAST), w(B, PAST)), (A, B), B, (w(B, PAST),), id="completed-move-expired-dropped"),
    pytest.param((w(A, None, PAST), w(B, PAST)), (A, B), A, (w(B, PAST, T0 + H), w(A, T0 + H)),
                 id="completed-move-moves-back-by-handoff"),
    pytest.param((w(A, None, T0), w(B, T0)), (A, B), B, (w(B, T0),), id="switch-exactly-now-belongs-to-new"),
    pytest.param((w(A, None, PAST),), (A, B), A, (w(A),), id="only-expired-windows-as-new"),
    pytest.param((w(B, SOON),), (A, B), A, (w(A),), id="no-one-owns-now-as-new"),
]


@pytest.mark.parametrize("windows, live, target, new", CASES)
def test_replan(windows, live, target, new):
    key = key_for(target, live) if target else "mon_0"
    assert replan({key: windows}, [key], live, T0, H) == {key: new}
    assert replan({key: new}, [key], live, T0, H) == {key: new}   # the same again changes nothing


def test_monitors_not_in_keys_are_dropped_and_new_ones_added_in_order():
    current = {"mon_gone": (w(A),), "mon_kept": (w(A),)}
    assert list(replan(current, ["mon_new", "mon_kept"], (A,), T0, H).items()) == [
        ("mon_new", (w(A),)), ("mon_kept", (w(A),))]


def test_duplicate_live_agents_count_once():
    key = key_for(B, (A, B))
    assert replan({key: (w(A),)}, [key], (A, B, B, A), T0, H) == replan({key: (w(A),)}, [key], (A, B), T0, H)


def test_a_handoff_must_be_positive():
    with pytest.raises(ValueError, match="handoff"):
        replan({}, [], (A,), T0, 0.0)


# -- owns ----------------------------------------------------------------------------------

MOVING = (w(A, None, SOON), w(B, SOON))


@pytest.mark.parametrize("windows, agent, slot, now, allowed", [
    (MOVING, A, SOON - 1, T0, True),
    (MOVING, A, SOON, T0, False),          # the switch slot is the new owner's
    (MOVING, B, SOON, T0, True),
    (MOVING, B, SOON - 1, T0, False),
    (MOVING, B, SOON + 86400, T0, True),
    (MOVING, A, T0 - 86400, T0, True),
    (MOVING, X, SOON, T0, False),          # not an owner at all
    (MOVING, A, None, T0, True),           # a re-check belongs to whoever owns now
    (MOVING, B, None, T0, False),
    (MOVING, A, None, SOON, False),
    (MOVING, B, None, SOON, True),
    ((), A, T0, T0, False),
    ((), A, None, T0, False),
    ((w(A),), A, 0.0, T0, True),
    ((w(A, T0, T0 + 60),), A, T0 + 60, T0, False),
])
def test_owns(windows, agent, slot, now, allowed):
    assert owns(windows, agent, slot, now) is allowed


# -- a long run of agents coming and going ---------------------------------------------------

INTERVALS = (10.0, 30.0, 60.0)
POOL = tuple(f"agt_{i}" for i in range(5))


def slots(phase: float, interval: float, start: float, end: float):
    """The grid slots phase + k * interval in [start, end)."""
    k = -(-(start - phase) // interval)
    while phase + k * interval < end:
        yield phase + k * interval
        k += 1


@pytest.mark.parametrize("seed", range(5))
def test_every_slot_has_exactly_one_owner_as_agents_come_and_go(seed):
    """After every replan each slot from now until the next replan (and one interval
    beyond) is owned by exactly one live agent, and a replan with the same agents
    changes no slot's owner."""
    rng = random.Random(seed)
    monitors = {f"mon_{i}": (rng.uniform(0, 60), rng.choice(INTERVALS)) for i in range(150)}
    live = list(POOL[:2])
    windows: dict[str, tuple[Window, ...]] = {}
    now, moves = T0, 0
    for _ in range(60):
        new = replan(windows, monitors, live, now, H)
        assert replan(new, monitors, live, now, H) == new
        moves += sum(len(ws) == 2 for ws in new.values())
        step = rng.choice((0.5, 2.0, 7.0, 15.0, 40.0))
        for key, (phase, interval) in monitors.items():
            for slot in slots(phase, interval, now, now + step + interval):
                owners = [agent for agent in POOL if owns(new[key], agent, slot, now)]
                assert owners == [owner_at(new[key], slot)], (key, slot, new[key])
                assert owners[0] in live
        later = replan(new, monitors, live, now + step, H)
        for key, (phase, interval) in monitors.items():
            for slot in slots(phase, interval, now + step, now + step + 2 * H):
                assert owner_at(later[key], slot) == owner_at(new[key], slot), (key, slot)
        windows, now = new, now + step
        # one agent comes or goes (never the last one)
        if len(live) > 1 and (len(live) == len(POOL) or rng.random() < 0.5):
            live.remove(rng.choice(live))
        else:
            live.append(rng.choice([agent for agent in POOL if agent not in live]))
    assert moves > 20     # the run did hand monitors over, not only move them at once
