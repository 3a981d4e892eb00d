"""Groups live in the database: after a restart on the same file, an API group
keeps its id, name and members, a config group its id, and the running
monitors' snapshots (their events' data.object) know their group from the
rows loaded at start."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from loopback import closed_port
from upstatd.app import Daemon
from upstatd.clock import FakeClock
from upstatd.config.load import load_config
from upstatd.systemd import Notifier
from upstatd.tokens.admin import admin_token_path

NOW = 1_800_000_000
PORT = closed_port()


async def started(config: Path, clock: FakeClock) -> tuple[Daemon, str, str]:
    daemon = Daemon(load_config(str(config), environ={}), clock=clock, notifier=Notifier(None))
    await daemon.start()
    url = f"http://{daemon.config.server.host}:{daemon.config.server.port}"
    return daemon, url, Path(admin_token_path(daemon.config.storage_path)).read_text().strip()


async def call(url: str, token: str, method: str, path: str, json=None) -> dict:
    async with aiohttp.ClientSession() as session, session.request(
            method, url + path, json=json, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status < 300, await response.text()
        return await response.json()


async def test_groups_and_their_members_survive_a_restart(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f'server: {{listen: "127.0.0.1:{closed_port()}"}}\n'
                      f'storage: {{path: "{tmp_path / "state" / "upstatd.db"}"}}\n'
                      f'monitors:\n  - {{key: shop, type: tcp, url: "tcp://127.0.0.1:{PORT}", group: web}}\n')
    daemon, url, token = await started(config, FakeClock(wall=NOW))
    try:
        group = await call(url, token, "POST", "/api/monitor-groups", json={"name": "API side"})
        made = await call(url, token, "POST", "/api/monitors", json={
            "type": "tcp", "url": f"tcp://127.0.0.1:{PORT}", "group_id": group["id"]})
        before = {item["key"]: item["id"] for item in (await call(url, token, "GET", "/api/monitor-groups"))["data"]}
    finally:
        await daemon.stop()

    daemon, url, token = await started(config, FakeClock(wall=NOW + 60))
    try:
        after = {item["key"]: item for item in (await call(url, token, "GET", "/api/monitor-groups"))["data"]}
        assert {key: item["id"] for key, item in after.items()} == before
        assert (after[None]["name"], after[None]["member_count"]) == ("API side", 1)
        assert after["web"]["member_count"] == 1
        members = await call(url, token, "GET", f"/api/monitors?group_id={group['id']}")
        assert [item["id"] for item in members["data"]] == [made["id"]]
        running = daemon.monitors
        assert running.snapshot(running.monitors[made["id"]]).group_id == group["id"]
        assert running.snapshot(running.monitors["shop"]).group_id == after["web"]["id"]
    finally:
        await daemon.stop()
