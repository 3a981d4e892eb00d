"""The assignment is pulled with If-None-Match (the spool's ETag at a restart: a 304
means the stored copy is current), and pulled again when a push answer names another
ETag. A changed assignment applies like the daemon's reload: an unchanged monitor keeps
its timer, a changed one is replaced (keeping its state), a removed one stops."""

from __future__ import annotations

from agentkit import agent_for, until
from agentpeer import AgentPeer, monitor
from clockdrive import Target
from loopback import closed_port


async def test_it_pulls_conditionally_and_applies_a_changed_assignment(tmp_path):
    target = Target()
    await target.up()
    url = f"tcp://127.0.0.1:{target.port}"
    kept = {"id": "mon_kept", "monitor": monitor("kept", url, kind="tcp", interval=5.0)}
    changed = {"id": "mon_changed", "monitor": monitor("changed", url, kind="tcp", interval=5.0)}
    removed = {"id": "mon_removed", "monitor": monitor("removed", url, kind="tcp", interval=5.0)}
    peer = await AgentPeer(monitors=[kept, changed, removed]).start()
    agent = agent_for(peer, tmp_path)
    try:
        await agent.start()
        assert peer.pulls == [(None, 200)]
        assert set(agent.monitors.monitors) == {"mon_kept", "mon_changed", "mon_removed"}
        await until(lambda: len(peer.pushes) >= 3, what="three pushes")
        assert peer.pulls == [(None, 200)]  # the same ETag in every answer: no pull
        kept_running = agent.monitors.monitors["mon_kept"]
        changed_before = agent.monitors.monitors["mon_changed"]
        timers = []  # mon_kept's timer just before and just after the apply (the wheel may fire it between)
        apply = agent.monitors.apply

        def watched(items):
            timers.append(agent.monitors.slots.when("mon_kept"))
            try:
                return apply(items)
            finally:
                timers.append(agent.monitors.slots.when("mon_kept"))
        agent.monitors.apply = watched

        added = {"id": "mon_added", "monitor": monitor("added", url, kind="tcp", interval=5.0)}
        other = {"id": "mon_changed", "monitor": monitor("changed", f"tcp://127.0.0.1:{closed_port()}", kind="tcp",
                                                         interval=5.0)}
        peer.assign([kept, other, added])
        await until(lambda: len(peer.pulls) == 2, what="a pull after the ETag changed")
        assert peer.pulls[1] == ('"a1"', 200)
        await until(lambda: agent.etag == '"a2"', what="the new assignment applied")
        assert set(agent.monitors.monitors) == {"mon_kept", "mon_changed", "mon_added"}
        assert agent.monitors.monitors["mon_kept"] is kept_running
        assert len(timers) == 2 and timers[0] == timers[1] is not None  # its timer untouched
        assert agent.monitors.monitors["mon_changed"] is not changed_before
        assert agent.monitors.monitors["mon_changed"].spec.url == other["monitor"]["url"]
        assert agent.monitors.slots.when("mon_removed") is None
        await agent.stop()

        # a restart: the spool's ETag in If-None-Match, the stored copy used on the 304
        again = agent_for(peer, tmp_path)
        await again.start()
        assert peer.pulls[-1] == ('"a2"', 304)
        assert set(again.monitors.monitors) == {"mon_kept", "mon_changed", "mon_added"}
        await again.stop()
    finally:
        await agent.stop()
        await peer.stop()
        await target.down()
