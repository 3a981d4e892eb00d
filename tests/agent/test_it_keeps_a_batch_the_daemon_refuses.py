"""A push the daemon answers with a 4xx other than 401/429 is logged and the batch
kept, not dropped: once the daemon takes pushes again every result arrives, once.
Results the daemon refuses one by one (a monitor outside the region) are acked:
logged, not sent again."""

from __future__ import annotations

from structlog.testing import capture_logs

from agentkit import agent_for, until
from agentpeer import AgentPeer
from upstatd.probes.result import Phases

SLOT = 1_796_286_000.0


async def test_it_keeps_a_batch_the_daemon_refuses(tmp_path):
    peer = await AgentPeer(push_interval=0.1).start()
    agent = agent_for(peer, tmp_path)
    try:
        await agent.start()
        with capture_logs() as logs:
            peer.status = 400
            for index in range(5):
                agent.outbox.add("mon_a", SLOT + index, SLOT + index + 0.2, Phases().success())
            await until(lambda: peer.answered_status >= 3, what="pushes rejected")
            assert [line["event"] for line in logs].count("agent.push_rejected") == 1  # once, not per push
            assert peer.results == []
            assert agent.outbox.waiting == 5
            peer.status = None
            peer.refuse = {"mon_b"}
            for index in range(2):
                agent.outbox.add("mon_b", SLOT + index, SLOT + index + 0.2, Phases().success())
            await until(lambda: agent.outbox.waiting == 0, what="the kept batch sent")
        rejected = next(line for line in logs if line["event"] == "agent.push_rejected")
        assert rejected["error"] == "POST /agent/v1/results: HTTP 400: told to answer 400"
        assert rejected["results"] == 5 and rejected["log_level"] == "error"
        refused = [line for line in logs if line["event"] == "agent.result_refused"]
        assert [line["monitor_id"] for line in refused] == ["mon_b", "mon_b"]
        assert refused[0]["reason"] == "monitor mon_b is not probed from region eu-west"
        assert [(r.monitor_id, r.slot) for r in peer.results] == [("mon_a", SLOT + index) for index in range(5)]
        assert peer.duplicates == 0
    finally:
        await agent.stop()
        await peer.stop()
