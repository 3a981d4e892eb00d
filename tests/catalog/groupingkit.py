"""For the tests of root-cause grouping at run time: five services in a graph
(web and worker need api, api needs postgres and redis), each with one API-made
monitor probing a loopback target the test takes up and down (postgres and
redis: TCP ports, the others: HTTP servers answering 200 or 503), the daemon on
a FakeClock (tests/clockdrive.py), and one webhook alert channel, the default,
posting to a loopback receiver that counts what is sent.

The fixtures `start_api` and `receiver` are imported by each test from here
(tests/api/conftest.py's daemon, tests/alerts/alertkit.py's receiver).

Membership: the services are written in the state file before the daemon starts
(catalogrows.add_service), the monitors made over the API with their `service_id`
(the catalog's own path: its event reads the grouping's graph again)."""

from __future__ import annotations

import asyncio
import importlib.util
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

sys.path.append(str(Path(__file__).parent.parent))  # tests/: clockdrive, loopback
_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_for_catalog", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)  # it puts tests/alerts on sys.path
start_api = _api_conftest.start_api

from alertkit import receiver  # noqa: E402,F401  (a fixture)
from catalogrows import add_service  # noqa: E402
from clockdrive import Target, move_to, probe, wait_for  # noqa: E402
from upstatd.clock import FakeClock  # noqa: E402

NOW = 1_800_000_000
SERVICES = {"postgres": ("svc_pg", ()), "redis": ("svc_redis", ()), "api": ("svc_api", ("svc_pg", "svc_redis")),
            "web": ("svc_web", ("svc_api",)), "worker": ("svc_worker", ("svc_api",))}
TCP = ("postgres", "redis")


@dataclass
class HttpTarget:
    """An HTTP server on 127.0.0.1 answering 200 while `up`, 503 once taken down."""
    healthy: bool = True
    runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> HttpTarget:
        async def handle(request: web.Request) -> web.Response:
            return web.Response(text="ok" if self.healthy else "down", status=200 if self.healthy else 503)
        app = web.Application()
        app.router.add_get("/health", handle)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.port = self.runner.addresses[0][1]
        return self

    async def up(self) -> None:
        self.healthy = True

    async def down(self) -> None:
        self.healthy = False

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass
class Outage:
    """The daemon, its five monitors (service name -> mon_ id) and their targets."""
    api: object
    receiver: object
    monitors: dict[str, str] = field(default_factory=dict)
    targets: dict[str, object] = field(default_factory=dict)

    async def down(self, *names: str) -> None:
        for name in names:
            await self.targets[name].down()

    async def up(self, *names: str) -> None:
        for name in names:
            await self.targets[name].up()

    async def probe(self, name: str) -> float:
        """The service's monitor probes at its next due time (slot or re-check); -> that wall time."""
        return await probe(self.api, self.monitors[name])

    async def later(self, seconds: float) -> None:
        """The clock `seconds` on: the timers due by then fire (a hold's end, a re-check)."""
        await move_to(self.api, self.api.clock.time() + seconds)

    async def at(self, wall: float) -> None:
        """The clock at `wall` (Unix seconds): the timers due by then fire."""
        await move_to(self.api, wall)

    async def incident(self, name: str) -> dict:
        """The latest incident of the service's monitor."""
        _, _, page = await self.api.request("GET", f"/api/incidents?monitor_id={self.monitors[name]}")
        return page["data"][0]

    async def incidents(self) -> list[dict]:
        _, _, page = await self.api.request("GET", "/api/incidents?limit=100")
        return page["data"]

    async def timeline(self, incident_id: str, *kinds: str) -> list[str]:
        """Its timeline's messages (of `kinds`), oldest first."""
        _, _, page = await self.api.request("GET", f"/api/incidents/{incident_id}/updates?limit=100")
        return [entry["message"] for entry in reversed(page["data"]) if not kinds or entry["kind"] in kinds]

    async def alerts(self, incident_id: str) -> list[tuple[str, str]]:
        """(reason, status) of its alerts, oldest first (GET /api/alerts)."""
        _, _, page = await self.api.request("GET", "/api/alerts?limit=100")
        return [(alert["reason"], alert["status"]) for alert in reversed(page["data"])
                if alert["incident_id"] == incident_id]

    async def reasons(self, incident_id: str) -> list[str]:
        """The `reason` of its incident.updated events that have one (grouped, released), oldest first."""
        _, _, page = await self.api.request("GET", "/api/events?type=incident.updated&limit=100")
        return [event["data"]["reason"] for event in reversed(page["data"])
                if event["data"]["object"]["id"] == incident_id and "reason" in event["data"]]

    def sent(self) -> list[tuple[str, str]]:
        """(reason, incident id) of each alert the receiver got, in order."""
        return [(body["reason"], body["incident"]["id"])
                for body in (self.receiver.json(index) for index in range(len(self.receiver.got)))]

    async def sent_settled(self, count: int) -> list[tuple[str, str]]:
        """What was sent, once `count` alerts came and a moment more brought no other."""
        await wait_for(lambda: len(self.receiver.got) >= count, timeout=10)
        await asyncio.sleep(0.3)
        return self.sent()


def config(path: str, receiver, more: str = "") -> str:
    return (f'storage: {{path: "{path}"}}\n'
            f'alert_channels:\n  - {{key: hook, type: webhook, webhook: {{url: "{receiver.url("/hook")}"}}}}\n'
            "defaults: {alert_channels: [hook]}\n" + more)


async def outage(start_api, receiver, tmp_path, confirmation: dict[str, int] | None = None, more: str = "",
                 clock: FakeClock | None = None) -> Outage:
    """The five services, their monitors up (first probes done), the daemon's grouping graph
    read. `confirmation`: service name -> its monitor's failures to confirm (default 1)."""
    path = str(tmp_path / "state.db")
    for name, (service_id, needs) in SERVICES.items():
        add_service(path, service_id, name, needs)
    api = await start_api(config(path, receiver, more), clock=clock or FakeClock(wall=NOW))
    found = Outage(api, receiver)
    for name, (service_id, _) in SERVICES.items():
        if name in TCP:
            target = Target()
            await target.up()
            url = f"tcp://127.0.0.1:{target.port}"
        else:
            target = await HttpTarget().start()
            url = f"http://127.0.0.1:{target.port}/health"
        found.targets[name] = target
        failures = (confirmation or {}).get(name, 1)
        status, _, monitor = await api.request("POST", "/api/monitors", json={
            "name": name, "type": "tcp" if name in TCP else "http", "url": url, "interval_seconds": 10,
            "timeout_seconds": 2, "confirmation": {"failures": failures, "successes": 1, "recheck_seconds": 5},
            "service_id": service_id})
        assert status == 201, monitor
        found.monitors[name] = monitor["id"]
    await api.daemon.grouping.refresh()
    for name in SERVICES:
        await found.probe(name)
    assert {running.state.state for running in api.daemon.monitors.monitors.values()} == {"up"}
    return found


async def close(found: Outage) -> None:
    for target in found.targets.values():
        if isinstance(target, HttpTarget):
            await target.close()
        else:
            await target.down()


def rows(path: str, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()
