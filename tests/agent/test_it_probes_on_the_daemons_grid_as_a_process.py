"""The real `python -m upstatd agent`: READY=1 once it has its assignment, then it
probes its monitors on the daemon's phase grid in the daemon's wall time (the peer's
clock is 1000 s ahead of ours), pushes the results, pings the watchdog, and on
SIGTERM pushes what is left and exits 0. The token never reaches its log."""

from __future__ import annotations

import signal

from agentkit import AgentProcess, token_file, until
from agentpeer import TOKEN, AgentPeer, monitor
from loopback import WebServer, closed_port
from upstatd.monitors.service import phase_offset

SKEW = 1000.0


async def test_it_probes_on_the_daemons_grid_and_stops_cleanly(tmp_path):
    web = await WebServer().start()
    peer = AgentPeer(skew=SKEW, monitors=[
        {"id": "mon_web", "monitor": monitor("web", web.url("/ok"))},
        {"id": "mon_gone", "monitor": monitor("gone", f"tcp://127.0.0.1:{closed_port()}", kind="tcp")}])
    await peer.start()
    agent = AgentProcess(["--server", peer.url, "--token-file", str(token_file(tmp_path)), "--region", "eu-west",
                          "--spool", str(tmp_path / "spool.db")], tmp_path / "agent.log", tmp_path,
                         env={"WATCHDOG_USEC": "400000"})
    try:
        await agent.start()
        await until(lambda: all(len(peer.by_monitor().get(m, [])) >= 3 for m in ("mon_web", "mon_gone")),
                    what="three results of each monitor")
        for key, monitor_id, ok in (("web", "mon_web", True), ("gone", "mon_gone", False)):
            phase = phase_offset(key, 1.0)
            for result in peer.by_monitor()[monitor_id]:
                assert result.ok is ok
                if result.slot is None:
                    continue  # a re-check, off the grid
                assert abs((result.slot - phase) - round(result.slot - phase)) < 1e-6, result
                assert 0 <= result.at - result.slot < 1.0, result  # in the daemon's time, after its slot
        web_slots = [r.slot for r in peer.by_monitor()["mon_web"] if r.slot is not None]
        assert web_slots == sorted(set(web_slots))  # every slot once, in order
        scheduler = peer.pushes[-1].push.scheduler  # the agent's scheduler, for GET /api/agents
        assert scheduler.monitors == 2 and scheduler.launched >= 6 and scheduler.max_in_flight == 1000
        seqs = [r.seq for r in peer.results]
        assert seqs == sorted(set(seqs))
        gaps = [b.at - a.at for a, b in zip(peer.pushes, peer.pushes[1:])]
        assert min(gaps) > 0.15  # push_interval 0.2 s: at most one push per interval
        before = len(peer.pushes)
        agent.proc.send_signal(signal.SIGTERM)
        assert await agent.wait() == 0
        assert len(peer.pushes) > before  # the last push at stop
        agent.read_notify()
        assert any(m.startswith(b"READY=1\nSTATUS=2 monitors") for m in agent.messages), agent.messages
        assert b"STOPPING=1" in agent.messages
        assert agent.messages.count(b"WATCHDOG=1") >= 5  # every 0.2 s while the wheel ticks
        log = agent.log.read_text()
        assert "agent.started" in log and TOKEN not in log
    finally:
        await agent.close()
        await peer.stop()
        await web.close()
