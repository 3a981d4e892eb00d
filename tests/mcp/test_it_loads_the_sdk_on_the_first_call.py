"""The MCP SDK (and pydantic, starlette, anyio under it) costs the daemon a second
of start-up and ~40 MiB: the real daemon process starts without it and loads
it on the first POST to /mcp, which is answered as any later one is."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from daemonproc import Daemon
from loopback import closed_port

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def sdk_mapped(pid: int) -> bool:
    """pydantic_core's compiled module: nothing of upstatd's own needs it, the SDK does."""
    return "pydantic_core" in Path(f"/proc/{pid}/maps").read_text()


@pytest.fixture
async def daemon(tmp_path):
    port = closed_port()
    config = tmp_path / "config.yaml"
    config.write_text(f'server: {{listen: "127.0.0.1:{port}"}}\n'
                      f'storage: {{path: "{tmp_path / "state" / "upstatd.db"}"}}\n'
                      "monitors: []\n")
    running = Daemon(config, tmp_path / "daemon.log", tmp_path)
    running.url = f"http://127.0.0.1:{port}"
    await running.start()
    running.token = (tmp_path / "state" / "admin-token").read_text().strip()
    yield running
    await running.close()


async def test_the_sdk_is_loaded_by_the_first_call_not_at_start(daemon):
    pid = daemon.proc.pid
    assert not sdk_mapped(pid)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        async with session.post(f"{daemon.url}/mcp", json=INITIALIZE, headers=HEADERS) as response:
            assert response.status == 401  # refused before anything is loaded
        assert not sdk_mapped(pid)

        auth = dict(HEADERS, Authorization=f"Bearer {daemon.token}")
        for _ in range(2):  # the first loads the SDK, the second finds it loaded
            async with session.post(f"{daemon.url}/mcp", json=INITIALIZE, headers=auth) as response:
                assert response.status == 200, await response.text()
                answer = await response.json()
            assert answer["result"]["serverInfo"]["name"] == "upstatd"
        assert sdk_mapped(pid)
