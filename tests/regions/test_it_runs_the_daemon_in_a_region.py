"""The real daemon in the lab's "local" namespace (tests/daemonproc.py with the lab's prefix):
it probes the target in the targets namespace over the bridge, and the test process reaches
its listener at the region's address; blocked from "local", the target goes down."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from daemonproc import Daemon

PORT = 8080


async def monitor_up(session: aiohttp.ClientSession, url: str) -> str | None:
    async with session.get(url) as response:
        text = await response.text()
    lines = [line for line in text.splitlines() if line.startswith('upstatd_monitor_up{') and 'key="target"' in line]
    return lines[0].rsplit(" ", 1)[1] if lines else None


async def wait_for_metric(session: aiohttp.ClientSession, url: str, value: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (seen := await monitor_up(session, url)) != value:
        assert time.monotonic() < deadline, f"upstatd_monitor_up is {seen}, not {value}, after {timeout} s"
        await asyncio.sleep(0.05)


async def test_the_daemon_in_a_region_probes_the_target_and_answers_the_test(lab, tmp_path):
    await lab.start_target()
    config = tmp_path / "config.yaml"
    config.write_text(
        f'server: {{listen: "{lab.address("local")}:{PORT}"}}\n'
        f'storage: {{path: "{tmp_path / "upstatd.db"}"}}\n'
        "metrics: {enabled: true}\n"
        "monitors:\n"
        f'  - {{key: target, type: http, url: "{lab.url(lab.target, 80)}", interval: 1s, timeout: 1s,\n'
        "     confirmation: {failures: 1, successes: 1, recheck: 1s}}\n")
    daemon = Daemon(config, tmp_path / "daemon.log", tmp_path, prefix=lab.prefix("local"))
    try:
        await daemon.start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.get(lab.url("local", PORT, "/healthz")) as response:
                assert response.status == 200
            metrics = lab.url("local", PORT, "/metrics")
            await wait_for_metric(session, metrics, "1")
            lab.block("local", lab.target)
            await wait_for_metric(session, metrics, "0")
    finally:
        await daemon.close()
