"""Results go out in batches of at most `max_batch`, at most one push per
`push_interval`, oldest first; with nothing to send, an empty push every interval is
the keep-alive. On a fake clock (the push loop sleeps on it); the peer is real."""

from __future__ import annotations

import asyncio

from agentkit import agent_for, until
from agentpeer import AgentPeer
from upstatd.clock import FakeClock
from upstatd.probes.result import Phases


async def settle() -> None:
    """Real time for a push that would go now to reach the peer (there should be none)."""
    await asyncio.sleep(0.15)


async def test_it_pushes_in_batches_at_most_once_an_interval(tmp_path):
    peer = await AgentPeer(push_interval=1.0, max_batch=100).start()
    clock = FakeClock(start=1000.0, wall=1_796_286_000.0)
    agent = agent_for(peer, tmp_path, clock=clock)
    try:
        await agent.start()
        await until(lambda: len(peer.pushes) == 1 and clock.sleeping >= 1, what="the first push")
        assert peer.pushes[0].push.results == ()  # the keep-alive
        for index in range(250):
            agent.outbox.add(f"mon_{index % 7}", 1_796_286_000.0 + index, 1_796_286_000.5 + index,
                             Phases().success())
        sizes = []
        for _ in range(4):
            clock.advance(0.5)
            await settle()
            assert len(peer.pushes) == 1 + len(sizes)  # not before the interval is over
            clock.advance(0.5)
            await until(lambda: len(peer.pushes) == 2 + len(sizes), what="a push once the interval passed")
            sizes.append(len(peer.pushes[-1].push.results))
            await settle()
            assert len(peer.pushes) == 1 + len(sizes)  # and only one
        assert sizes == [100, 100, 50, 0]
        assert [result.seq for result in peer.results] == list(range(peer.results[0].seq,
                                                                     peer.results[0].seq + 250))
        assert [result.slot for result in peer.results] == [1_796_286_000.0 + index for index in range(250)]
        assert [push.push.spool_results for push in peer.pushes[1:]] == [150, 50, 0, 0]
    finally:
        await agent.stop()
        await peer.stop()
