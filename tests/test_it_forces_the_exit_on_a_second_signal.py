"""SIGTERM stops gracefully: an in-flight probe may finish (up to its own
timeout); a second SIGTERM while that runs exits at once with status 130."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp

from loopback import silent, start_raw
from test_it_runs_the_daemon import DaemonProcess, config_text, free_port, notify_socket  # noqa: F401


async def test_a_second_sigterm_does_not_wait_for_the_probes(tmp_path, notify_socket):
    sock, sock_path = notify_socket
    target = await start_raw(silent)  # takes the request, never answers: the probe waits its 20 s
    port = free_port()
    config = tmp_path / "upstatd.yaml"
    config.write_text(config_text(port, tmp_path / "state" / "upstatd.db", {}))
    daemon = DaemonProcess(config, sock, sock_path, tmp_path / "daemon.log")
    await daemon.start()
    try:
        token = (tmp_path / "state" / "admin-token").read_text().strip()
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
            async with session.post(f"http://127.0.0.1:{port}/api/monitors", json={
                    "type": "http", "url": f"http://127.0.0.1:{target.port}/", "interval_seconds": 60,
                    "timeout_seconds": 20}) as response:
                assert response.status == 201, await response.text()
        for _ in range(100):  # bounded: the first probe comes within half a second
            if target.requests:
                break
            await asyncio.sleep(0.05)
        assert target.requests, "the probe never reached the target"

        daemon.proc.send_signal(signal.SIGTERM)
        await daemon.wait_message("STOPPING=1", timeout=5)
        await asyncio.sleep(0.5)
        assert daemon.proc.returncode is None  # still waiting for the probe, as it should

        sent = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(daemon.proc.wait(), timeout=5) == 130
        assert time.monotonic() - sent < 5
        assert "daemon.forced_exit" in Path(daemon.log).read_text()
    finally:
        if daemon.proc.returncode is None:
            daemon.proc.kill()
            await daemon.proc.wait()
        await target.close()
