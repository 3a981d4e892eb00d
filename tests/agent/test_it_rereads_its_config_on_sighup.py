"""SIGHUP re-reads the agent's config: a new server (and token) takes effect at the
next request and a new max_in_flight at once, without a restart; a file that no longer
loads changes nothing."""

from __future__ import annotations

import signal

from agentkit import token_file, until
from agentpeer import AgentPeer, monitor
from upstatd.agent.config import load_agent_config
from upstatd.agent.process import Agent
import asyncio
import os


async def test_it_rereads_its_config_on_sighup(tmp_path):
    monitors = [{"id": "mon_a", "monitor": monitor("a", "tcp://127.0.0.1:9", kind="tcp", interval=60.0)}]
    first = await AgentPeer(monitors=monitors).start()
    second = await AgentPeer(monitors=monitors).start()
    path = tmp_path / "agent.yaml"
    settings = f"token_file: {token_file(tmp_path)}\nspool: {{path: {tmp_path / 'spool.db'}}}\n"
    path.write_text(f"server: {first.url}\n{settings}")
    agent = Agent(load_agent_config(str(path), environ={}), reread=lambda: load_agent_config(str(path), environ={}))
    serving = asyncio.create_task(agent.serve())
    try:
        await asyncio.wait_for(agent.ready.wait(), 10)
        await until(lambda: len(first.pushes) >= 1, what="a push to the first server")

        path.write_text(f"server: {first.url}\n{settings}spool: broken\n")
        os.kill(os.getpid(), signal.SIGHUP)
        await asyncio.sleep(0.3)
        assert agent.client.server == first.url  # a file with errors: nothing changed

        assert agent.runner.max_in_flight == 1000
        path.write_text(f"server: {second.url}\nmax_in_flight: 20\n{settings}")
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: len(second.pushes) >= 2, what="pushes to the new server")
        assert agent.config.server == second.url
        assert agent.runner.max_in_flight == 20
        pushed_to_first = len(first.pushes)
        await asyncio.sleep(0.5)
        assert len(first.pushes) == pushed_to_first
    finally:
        agent.request_stop()
        assert await asyncio.wait_for(serving, 10) == 0
        await first.stop()
        await second.stop()
