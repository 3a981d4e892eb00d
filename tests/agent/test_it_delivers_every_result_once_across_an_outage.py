"""With the daemon away for a while the agent keeps probing and spools; once it is
back, every result arrives exactly once (counted by seq), in order per monitor, with
no slot missing. A push the daemon took but whose answer was lost (a 503 after the
commit) is sent again and the repeat is a duplicate, not a second result."""

from __future__ import annotations

import asyncio

from agentkit import agent_for, until
from agentpeer import AgentPeer, monitor
from clockdrive import Target

MONITORS = 4


async def test_it_delivers_every_result_once_across_an_outage(tmp_path):
    target = Target()
    await target.up()
    peer = await AgentPeer(monitors=[
        {"id": f"mon_{n}", "monitor": monitor(f"m{n}", f"tcp://127.0.0.1:{target.port}", kind="tcp")}
        for n in range(MONITORS)]).start()
    agent = agent_for(peer, tmp_path)
    try:
        await agent.start()
        await until(lambda: len(peer.results) >= MONITORS, what="results before the outage")
        await peer.stop()
        await until(lambda: agent.spool.results >= 2 * MONITORS, what="results spooled during the outage")
        assert agent.outbox.unreachable_since is not None
        assert "daemon unreachable" in agent.status_line()
        await asyncio.sleep(1.0)
        spooled = agent.spool.results
        before = len(peer.results)
        peer.lose_answers = 1
        await peer.start()
        await until(lambda: agent.spool.results == 0 and len(peer.results) >= before + spooled + MONITORS,
                    what="the spool sent")
        assert agent.outbox.unreachable_since is None
        assert peer.duplicates > 0  # the batch whose answer was lost came again
        await agent.stop()
    finally:
        await agent.stop()
        await peer.stop()
        await target.down()

    seqs = [result.seq for result in peer.results]
    assert len(seqs) == len(set(seqs)), "a result arrived twice"
    assert seqs == sorted(seqs), "results arrived out of order"
    for monitor_id, results in peer.by_monitor().items():
        slots = [result.slot for result in results]
        assert all(slot is not None for slot in slots)  # all up: no re-checks
        assert [round(b - a, 6) for a, b in zip(slots, slots[1:])] == [1.0] * (len(slots) - 1), (monitor_id, slots)
        assert len(slots) >= 4
