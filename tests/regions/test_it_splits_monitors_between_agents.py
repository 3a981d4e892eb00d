"""The agents of one region split its monitors by rendezvous hashing
(upstatd.regions.split.owner, docs/regions.md).

Acceptance: "more than one agent in a region split its monitors between them
(stable assignment by key, moved when an agent comes or goes)". The split must
be the same in every process (no salted hash()), even, and move only the
monitors of the agent that comes or goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from upstatd.regions.split import owner

AGENTS = ("agt_3kq9vd2m", "agt_8hx1pz4c", "agt_b7ne0w5s", "agt_q2rt6yu1")
KEYS = [f"mon_{i:05d}" for i in range(10_000)]


def split(agents) -> dict[str, str]:
    return {key: owner(key, agents) for key in KEYS}


def test_no_agent_owns_nothing():
    assert owner("shop", ()) is None
    assert owner("shop", []) is None


def test_one_agent_owns_everything():
    assert {owner(key, AGENTS[:1]) for key in KEYS[:500]} == {AGENTS[0]}


def test_the_order_of_the_agents_does_not_matter():
    for key in KEYS[:500]:
        assert owner(key, AGENTS) == owner(key, AGENTS[::-1]) == owner(key, sorted(AGENTS, key=hash))


def test_it_is_the_same_in_another_process():
    """Another interpreter, with another hash seed, splits the same way."""
    script = ("import sys; from upstatd.regions.split import owner; "
              f"print(','.join(owner(f'mon_{{i:05d}}', {AGENTS!r}) for i in range(200)))")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout.strip()
        assert out.split(",") == [owner(key, AGENTS) for key in KEYS[:200]]


@pytest.mark.parametrize("n", [2, 3, 4])
def test_it_spreads_monitors_evenly(n):
    shares = Counter(split(AGENTS[:n]).values())
    assert set(shares) == set(AGENTS[:n])
    for agent, count in shares.items():
        assert abs(count / len(KEYS) - 1 / n) < 0.03, (agent, count)


def test_a_third_agent_takes_about_a_third_and_nothing_else_moves():
    before, after = split(AGENTS[:2]), split(AGENTS[:3])
    moved = [key for key in KEYS if before[key] != after[key]]
    assert {after[key] for key in moved} == {AGENTS[2]}          # only to the new agent
    assert abs(len(moved) / len(KEYS) - 1 / 3) < 0.03


@pytest.mark.parametrize("gone", range(4))
def test_an_agent_that_goes_moves_only_its_monitors(gone):
    before = split(AGENTS)
    after = split(AGENTS[:gone] + AGENTS[gone + 1:])
    moved = {key for key in KEYS if before[key] != after[key]}
    assert moved == {key for key in KEYS if before[key] == AGENTS[gone]}
    assert AGENTS[gone] not in after.values()
    # and its monitors spread over the others, not all onto one
    assert len(Counter(after[key] for key in moved)) == 3
