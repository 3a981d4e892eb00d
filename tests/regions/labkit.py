"""The acceptance setting of probe regions: the real daemon in the lab's "local" namespace and
real agents (`python -m upstatd agent`) in "eu" and "us", the target in the targets namespace
(tests/regions/netns.py); the test reads the daemon's API over the lab's root-side veth.

    async with Regions(lab, tmp_path, MONITORS) as regions:
        await regions.until(lambda: regions.state("shop") == "up")
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import aiohttp

from daemonproc import Daemon
from loopback import eventually

PORT = 8080
AGENTS = ("eu", "us")
# a monitor of the target probed from all three regions, every second, confirmed by two results
SHOP_EVERYWHERE = """
monitors:
  - {{key: shop, type: http, url: "{target}", regions: [local, eu, us], interval: 1s, timeout: 1s,
     confirmation: {{failures: 2, successes: 1, recheck: 1s}}}}
"""


class Regions:
    def __init__(self, lab: Any, tmp_path: Path, monitors_yaml: str) -> None:
        self.lab, self.tmp = lab, tmp_path
        self.tokens = {region: "upsa_" + secrets.token_urlsafe(24) for region in AGENTS}
        for region, token in self.tokens.items():
            path = tmp_path / f"{region}.token"
            path.write_text(token + "\n")
            os.chmod(path, 0o600)
        self.config = tmp_path / "config.yaml"
        self.config.write_text(
            f'server: {{listen: "{lab.address("local")}:{PORT}"}}\n'
            f'storage: {{path: "{tmp_path / "state" / "upstatd.db"}"}}\n'
            "regions:\n" + "".join(f'  {region}: {{agents: [{{key: {region}-1, token_file: "{region}.token"}}]}}\n'
                                   for region in AGENTS)
            + monitors_yaml.format(target=lab.url(lab.target, 80)))
        self.daemon = Daemon(self.config, tmp_path / "daemon.log", tmp_path, prefix=lab.prefix("local"))
        self.agents: dict[str, Any] = {}
        self.session: aiohttp.ClientSession | None = None
        self.admin = ""

    async def __aenter__(self) -> Regions:
        await self.daemon.start()
        self.admin = (self.tmp / "state" / "admin-token").read_text().strip()
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10),
                                             headers={"Authorization": f"Bearer {self.admin}"})
        for region in AGENTS:
            await self.start_agent(region)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for region in list(self.agents):
            await self.kill_agent(region)
        if self.session is not None:
            await self.session.close()
        await self.daemon.close()

    async def start_agent(self, region: str) -> None:
        log = (self.tmp / f"agent-{region}.log").open("ab")
        self.agents[region] = await self.lab.spawn(region, [
            sys.executable, "-m", "upstatd", "agent", "--server", f"http://{self.lab.address('local')}:{PORT}",
            "--token-file", str(self.tmp / f"{region}.token"), "--region", region,
            "--spool", str(self.tmp / f"spool-{region}.db")], stdout=log, stderr=log)

    async def kill_agent(self, region: str) -> None:
        agent = self.agents.pop(region)
        if agent.returncode is None:
            agent.kill()
            await agent.wait()

    def log(self, name: str) -> str:
        return (self.tmp / name).read_text(errors="replace")[-4000:]

    async def get(self, path: str) -> Any:
        async with self.session.get(self.lab.url("local", PORT, path)) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def monitor(self, key: str) -> dict:
        listed = await self.get("/api/monitors?limit=100")
        return next(item for item in listed["data"] if item["key"] == key)

    async def status(self, key: str) -> dict:
        return await self.get(f"/api/monitors/{(await self.monitor(key))['id']}/status")

    async def region_states(self, key: str) -> dict[str, str]:
        return {item["name"]: item["state"] for item in (await self.status(key))["regions"] or ()}

    async def events(self, kind: str) -> list[dict]:
        return (await self.get(f"/api/events?type={kind}&limit=100"))["data"]

    async def incidents(self, key: str = "shop") -> list[dict]:
        """The monitor's incidents (an agent's own, agent_down, are not a monitor's)."""
        monitor_id = (await self.monitor(key))["id"]
        return (await self.get(f"/api/incidents?limit=100&monitor_id={monitor_id}"))["data"]

    async def until(self, check: Any, timeout: float = 20.0, what: str = "") -> Any:
        """loopback.eventually, saying what it waited for and the processes' last log lines."""
        try:
            return await eventually(check, timeout=timeout, interval=0.1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {what}\n--- daemon:\n{self.log('daemon.log')}"
                                 + "".join(f"\n--- agent {r}:\n{self.log(f'agent-{r}.log')}" for r in AGENTS)) from None
