"""The agent names slots in the daemon's wall time: the offset measured at a pull is
kept while every push answer's `server_time` allows it, and moved to the nearest value
that fits when it does not (a clock stepped on either side), without a pull."""

from __future__ import annotations

import time

import pytest

from agentkit import agent_for, until
from agentpeer import AgentPeer
from upstatd.agent.client import refine_offset
from upstatd.clock import FakeClock

# (offset held, (lowest, highest) the answer allows, offset kept)
CASES = [
    (10.0, (9.99, 10.02), 10.0),      # inside: the pull's midpoint stays, a commit wait moves nothing
    (10.0, (10.0, 10.0), 10.0),       # on the bound
    (10.0, (15.0, 15.03), 15.0),      # the daemon's clock stepped 5 s ahead: the nearest bound
    (10.0, (4.97, 5.0), 5.0),         # ... or back
    (-3.5, (-3.52, -3.51), -3.51),    # drifted by 10 ms
]


@pytest.mark.parametrize("offset, bounds, kept", CASES)
def test_it_keeps_the_offset_within_what_a_push_answer_allows(offset, bounds, kept):
    assert refine_offset(offset, bounds) == pytest.approx(kept)


async def test_it_follows_a_stepped_daemon_clock_without_a_pull(tmp_path):
    peer = await AgentPeer(push_interval=1.0, skew=1000.0).start()
    clock = FakeClock(start=1000.0, wall=1_796_286_000.0)
    agent = agent_for(peer, tmp_path, clock=clock)
    try:
        await agent.start()
        await until(lambda: len(peer.pushes) == 1, what="the first push")
        assert agent.monitors.daemon_time() == pytest.approx(time.time() + 1000.0, abs=0.5)
        pulls = len(peer.pulls)

        peer.skew = 1005.0  # the daemon's clock jumps 5 s ahead
        clock.advance(1.0)
        await until(lambda: len(peer.pushes) == 2, what="the next push")
        await until(lambda: agent.monitors.daemon_time() > time.time() + 1004.5, what="the offset moved")
        assert agent.monitors.daemon_time() == pytest.approx(time.time() + 1005.0, abs=0.5)
        assert len(peer.pulls) == pulls  # the push answer did it: same assignment, no pull
    finally:
        await agent.stop()
        await peer.stop()
