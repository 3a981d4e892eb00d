"""Results go out in batches of at most `max_batch`, oldest first: once a `push_interval`,
or at once whenever a whole batch waits (so an agent is not capped at max_batch results a
second); with nothing to send, an empty push every interval is the keep-alive. On a fake
clock (the push loop sleeps on it); the peer is real."""

from __future__ import annotations

import asyncio

from agentkit import agent_for, until
from agentpeer import AgentPeer
from upstatd.clock import FakeClock
from upstatd.probes.result import Phases


async def settle() -> None:
    """Real time for a push that would go now to reach the peer (there should be none)."""
    await asyncio.sleep(0.15)


async def test_it_pushes_each_second_or_each_full_batch(tmp_path):
    peer = await AgentPeer(push_interval=1.0, max_batch=100).start()
    clock = FakeClock(start=1000.0, wall=1_796_286_000.0)
    agent = agent_for(peer, tmp_path, clock=clock)
    try:
        await agent.start()
        await until(lambda: len(peer.pushes) == 1 and clock.sleeping >= 1, what="the first push")
        assert peer.pushes[0].push.results == ()  # the keep-alive

        for index in range(50):  # less than a batch: waits for the interval
            agent.outbox.add(f"mon_{index % 7}", 1_796_286_000.0 + index, 1_796_286_000.5 + index,
                             Phases().success())
        await settle()
        assert len(peer.pushes) == 1
        for index in range(50, 250):  # the batch fills up: out at once, and the next full one too
            agent.outbox.add(f"mon_{index % 7}", 1_796_286_000.0 + index, 1_796_286_000.5 + index,
                             Phases().success())
        await until(lambda: len(peer.pushes) == 3, what="two full batches without waiting the interval")
        await settle()
        assert len(peer.pushes) == 3  # the 50 left wait for the interval
        clock.advance(1.0)
        await until(lambda: len(peer.pushes) == 4, what="the rest once the interval passed")
        clock.advance(1.0)
        await until(lambda: len(peer.pushes) == 5, what="the keep-alive")

        assert [len(push.push.results) for push in peer.pushes] == [0, 100, 100, 50, 0]
        assert [result.seq for result in peer.results] == list(range(peer.results[0].seq,
                                                                     peer.results[0].seq + 250))
        assert [result.slot for result in peer.results] == [1_796_286_000.0 + index for index in range(250)]
    finally:
        await agent.stop()
        await peer.stop()
