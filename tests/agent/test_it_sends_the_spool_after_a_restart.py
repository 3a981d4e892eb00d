"""Results spooled when the agent stopped are sent by the next agent on the same
spool, after it restarted while the daemon was still away: it took the stored
assignment, probed (READY=1 without the daemon), and once the daemon is back the
results of both runs arrive once each, seq increasing across the restart within one
spool id."""

from __future__ import annotations

from agentkit import agent_for, until
from agentpeer import AgentPeer, monitor
from clockdrive import Target


async def test_it_sends_the_spool_after_a_restart(tmp_path):
    target = Target()
    await target.up()
    peer = await AgentPeer(monitors=[
        {"id": "mon_a", "monitor": monitor("a", f"tcp://127.0.0.1:{target.port}", kind="tcp")}]).start()
    first = agent_for(peer, tmp_path)
    second = None
    try:
        await first.start()
        await until(lambda: len(peer.results) >= 1, what="a first result")
        await peer.stop()
        await until(lambda: first.spool.results >= 2, what="results spooled")
        spool_id = first.spool.id
        await first.stop()
        await first.stop()  # a second stop does nothing
        assert not peer.runner

        second = agent_for(peer, tmp_path)
        await second.start()  # no daemon: the stored assignment
        assert second.spool.id == spool_id
        stored = second.spool.results
        assert stored >= 2
        assert set(second.monitors.monitors) == {"mon_a"}
        await until(lambda: second.outbox.waiting > stored, what="probing without the daemon")
        before = len(peer.results)
        await peer.start()
        await until(lambda: second.spool.results == 0 and len(peer.results) > before + stored,
                    what="the spool of both runs sent")
    finally:
        await first.stop()
        if second is not None:
            await second.stop()
        await peer.stop()
        await target.down()
    assert {push.push.spool for push in peer.pushes} == {spool_id}
    seqs = [result.seq for result in peer.results]
    assert seqs == sorted(set(seqs))
    slots = [result.slot for result in peer.results]
    assert slots == sorted(set(slots))  # one monitor: each slot once, in order, across the restart
