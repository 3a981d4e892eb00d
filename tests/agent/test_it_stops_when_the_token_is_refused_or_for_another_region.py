"""Deployment mistakes end the agent with exit status 78 (which the unit does not
restart) and a message saying what to fix: a token for another region than the
configured `region`, before anything is probed, and a token the daemon refuses (401,
revoked) while running, which stops probing and keeps what was not sent."""

from __future__ import annotations

import asyncio
import sqlite3

from agentkit import AgentProcess, agent_for, token_file, until
from agentpeer import AgentPeer, monitor
from clockdrive import Target
from upstatd.agent.process import EXIT_REFUSED
from upstatd.probes.result import Phases


async def test_a_token_for_another_region_stops_it_before_probing(tmp_path):
    peer = await AgentPeer(region="us-east", monitors=[
        {"id": "mon_a", "monitor": monitor("a", "tcp://127.0.0.1:9", kind="tcp")}]).start()
    agent = agent_for(peer, tmp_path, region="eu-west")
    try:
        assert await asyncio.wait_for(agent.serve(), 10) == EXIT_REFUSED
    finally:
        await peer.stop()
    assert agent.refusal == ("the agent token is for region us-east (agent us-east-1), but this agent is "
                             "configured for region eu-west: use the token made for eu-west, or fix `region`")
    assert peer.pushes == []
    assert not agent.ready.is_set()


async def test_a_revoked_token_stops_probing_and_keeps_the_unsent(tmp_path):
    target = Target()
    await target.up()
    peer = await AgentPeer(monitors=[
        {"id": "mon_a", "monitor": monitor("a", f"tcp://127.0.0.1:{target.port}", kind="tcp")}]).start()
    agent = agent_for(peer, tmp_path)
    serving = asyncio.create_task(agent.serve())
    try:
        await asyncio.wait_for(agent.ready.wait(), 10)
        await until(lambda: len(peer.results) >= 1, what="a result")
        peer.status = 401
        # one not sent yet, probed now (a fixed time would age out of the spool's 1-day bound)
        agent.outbox.add("mon_a", None, agent.monitors.daemon_time(), Phases().success())
        assert await asyncio.wait_for(serving, 10) == EXIT_REFUSED
        assert agent.refusal.startswith("the daemon refused the agent token (POST /agent/v1/results: HTTP 401")
        assert agent.runner.launch("x", None) is False  # probing stopped
    finally:
        serving.cancel()
        await peer.stop()
        await target.down()
    with sqlite3.connect(tmp_path / "spool.db") as conn:
        assert conn.execute("SELECT count(*) FROM results").fetchone()[0] >= 1  # kept for a new token


async def test_the_process_exits_78_saying_why(tmp_path):
    peer = await AgentPeer(region="us-east").start()
    agent = AgentProcess(["--server", peer.url, "--token-file", str(token_file(tmp_path)), "--region", "eu-west",
                          "--spool", str(tmp_path / "spool.db")], tmp_path / "agent.log", tmp_path)
    try:
        await agent.start(wait_ready=False)
        assert await agent.wait() == EXIT_REFUSED
        assert ("upstatd agent: stopped: the agent token is for region us-east (agent us-east-1), but this agent "
                "is configured for region eu-west") in agent.log.read_text()
        assert not any(message.startswith(b"READY=1") for message in agent.messages)
    finally:
        await agent.close()
        await peer.stop()
