"""Pause and resume over the API: a paused monitor is really not probed (a
loopback target counts requests), `resume_at` resumes it by itself (the
daemon's FakeClock), and a pause of a config monitor survives a SIGHUP
reload and a restart, stored in the database."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import time
from pathlib import Path

import aiohttp

from loopback import closed_port, start_web
from upstatd.tokens.admin import admin_token_path
from upstatd.app import Daemon
from upstatd.clock import FakeClock
from upstatd.config.load import load_config
from upstatd.systemd import Notifier

NOW = 1_800_000_000


async def wait_for(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate() if asyncio.iscoroutinefunction(predicate) else not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.01)


def pauses(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT started_at, ended_at FROM monitor_pauses ORDER BY seq").fetchall()


async def test_it_does_not_probe_a_paused_monitor(api):
    web = await start_web()
    try:
        _, _, made = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url("/ok"), "interval_seconds": 1})
        path = f"/api/monitors/{made['id']}"
        await wait_for(lambda: len(web.seen) >= 2)  # the first within half a second, then each second

        status, _, paused = await api.request("POST", f"{path}/pause")
        assert status == 200
        assert (paused["status"], paused["resume_at"]) == ("paused", None)
        assert paused["paused_at"] == paused["updated_at"]
        await asyncio.sleep(0.2)  # a probe already on its way may still arrive
        seen = len(web.seen)
        await asyncio.sleep(2.5)
        assert len(web.seen) == seen
        _, _, fetched = await api.request("GET", path)
        assert (fetched["status"], fetched["current_state"]) == ("paused", "up")  # the state is kept

        # Pausing again changes nothing but resume_at; resuming an active monitor is a no-op too.
        status, _, again = await api.request("POST", f"{path}/pause", json={"resume_at": int(time.time()) + 3600})
        assert (status, again["paused_at"], again["resume_at"]) == (200, paused["paused_at"],
                                                                     again["resume_at"])
        status, _, resumed = await api.request("POST", f"{path}/resume")
        assert (status, resumed["status"], resumed["paused_at"], resumed["resume_at"]) == (200, "active",
                                                                                          None, None)
        await wait_for(lambda: len(web.seen) > seen, 1.0)  # probed again within a second
        status, _, still = await api.request("POST", f"{path}/resume")
        assert (status, still["status"]) == (200, "active")
        assert len(pauses(api.db_path)) == 1
    finally:
        await web.close()


async def test_it_writes_nothing_for_a_pause_that_changes_nothing(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "interval_seconds": 60})
    path = f"/api/monitors/{made['id']}"
    resume_at = NOW + 3600
    _, _, paused = await api.request("POST", f"{path}/pause", json={"resume_at": resume_at})
    api.clock.advance(5)
    status, _, again = await api.request("POST", f"{path}/pause", json={"resume_at": resume_at})
    assert (status, again["updated_at"], again["resume_at"]) == (200, paused["updated_at"], resume_at)
    api.clock.advance(5)
    _, _, later = await api.request("POST", f"{path}/pause", json={"resume_at": resume_at + 60})
    assert (later["updated_at"], later["paused_at"]) == (NOW + 10, paused["paused_at"])
    _, _, events = await api.request("GET", "/api/events?type=monitor.paused")
    assert [event["data"]["object"]["resume_at"] for event in events["data"]] == [resume_at + 60, resume_at]


async def test_it_resumes_by_itself_at_resume_at(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    web = await start_web()
    try:
        _, _, made = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url("/ok"), "interval_seconds": 60})
        path = f"/api/monitors/{made['id']}"
        api.clock.advance(1)
        await wait_for(lambda: len(web.seen) == 1)

        for bad, words in ((NOW, "must be in the future"), (NOW - 10, "must be in the future"),
                           ("soon", "must be a Unix time in seconds (an integer) or null, got a string"), (10 ** 13, "at most")):
            status, _, answer = await api.request("POST", f"{path}/pause", json={"resume_at": bad})
            assert (status, answer["error"]["param"]) == (400, "resume_at"), answer
            assert words in answer["error"]["message"]

        status, _, paused = await api.request("POST", f"{path}/pause", json={"resume_at": NOW + 1 + 150})
        assert status == 200
        assert (paused["status"], paused["paused_at"], paused["resume_at"]) == ("paused", NOW + 1, NOW + 151)

        api.clock.advance(120)  # two slots of the grid pass: no probe
        await asyncio.sleep(0.3)
        assert len(web.seen) == 1

        api.clock.advance(30)   # resume_at
        await wait_for(lambda: len(web.seen) == 2)

        async def active() -> bool:
            return (await api.request("GET", path))[2]["status"] == "active"
        await wait_for(active)
        _, _, fetched = await api.request("GET", path)
        assert (fetched["paused_at"], fetched["resume_at"]) == (None, None)
        assert pauses(api.db_path) == [((NOW + 1) * 1000, (NOW + 151) * 1000)]
    finally:
        await web.close()


async def test_it_keeps_a_config_monitor_paused_across_reloads(start_api):
    web = await start_web()
    try:
        monitors = f"""
            monitors:
              - {{key: shop, type: http, url: "{web.url('/ok')}", interval: 1s}}
            """
        api = await start_api(monitors)
        _, _, listed = await api.request("GET", "/api/monitors")
        (shop,) = listed["data"]
        status, _, _ = await api.request("POST", f"/api/monitors/{shop['id']}/pause")
        assert status == 200

        # Changed (interval), and a monitor added: the pause stays.
        api.config_path.write_text(api.config_path.read_text().replace("interval: 1s", "interval: 2s")
                                   + f'  - {{key: blog, type: http, url: "{web.url("/fail")}"}}\n')
        assert await api.daemon.reload()
        running = api.daemon.monitors.monitors["shop"]
        assert running.paused and running.spec.interval == 2
        assert api.daemon.monitors.slots.when("shop") is None
        await asyncio.sleep(0.2)
        seen = len([s for s in web.seen if s.path == "/ok"])
        await asyncio.sleep(2.5)
        assert len([s for s in web.seen if s.path == "/ok"]) == seen
        _, _, fetched = await api.request("GET", f"/api/monitors/{shop['id']}")
        assert (fetched["status"], fetched["interval_seconds"]) == ("paused", 2)
    finally:
        await web.close()


async def test_it_keeps_api_monitors_across_reloads(start_api):
    port = closed_port()
    api = await start_api(f"monitors:\n  - {{key: a, type: tcp, url: 'tcp://127.0.0.1:{port}'}}\n",
                          clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{port}"})
    before = api.daemon.monitors.monitors[made["id"]]
    api.config_path.write_text(api.config_path.read_text().replace("key: a", "key: b"))
    assert await api.daemon.reload()
    assert set(api.daemon.monitors.monitors) == {"b", made["id"]}
    assert api.daemon.monitors.monitors[made["id"]] is before  # untouched
    status, _, fetched = await api.request("GET", f"/api/monitors/{made['id']}")
    assert status == 200 and fetched["url"] == f"tcp://127.0.0.1:{port}"


# -- restarts: one state directory, a daemon started on it twice ------------------------

class Instance:
    """A daemon on a fixed config and state directory, started and stopped by the test."""

    def __init__(self, base: Path, extra: str) -> None:
        self.config = base / "config.yaml"
        self.config.write_text(f'server: {{listen: "127.0.0.1:{closed_port()}"}}\n'
                               f'storage: {{path: "{base / "state" / "upstatd.db"}"}}\n{extra}')
        self.daemon: Daemon | None = None

    async def start(self, clock) -> None:
        self.daemon = Daemon(load_config(str(self.config), environ={}), clock=clock, notifier=Notifier(None))
        await self.daemon.start()
        config = self.daemon.config
        self.url = f"http://{config.server.host}:{config.server.port}"
        self.token = Path(admin_token_path(config.storage_path)).read_text().strip()

    async def stop(self) -> None:
        await self.daemon.stop()
        self.daemon = None

    async def request(self, method: str, path: str, json=None):
        async with aiohttp.ClientSession() as session, session.request(
                method, self.url + path, json=json, headers={"Authorization": f"Bearer {self.token}"}) as response:
            return response.status, await response.json()


async def test_it_keeps_pauses_and_api_monitors_across_a_restart(tmp_path):
    web = await start_web()
    instance = Instance(tmp_path, f"monitors:\n  - {{key: shop, type: http, url: '{web.url('/ok')}'}}\n")
    try:
        await instance.start(FakeClock(wall=NOW))
        _, listed = await instance.request("GET", "/api/monitors")
        shop = listed["data"][0]["id"]
        _, made = await instance.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url("/ok?api"), "interval_seconds": 60})
        await instance.request("POST", f"/api/monitors/{shop}/pause")                 # until resumed
        await instance.request("POST", f"/api/monitors/{made['id']}/pause", json={"resume_at": NOW + 100})
        await instance.stop()

        # Started again 200 s later: shop is still paused; the API monitor's resume_at has passed.
        await instance.start(FakeClock(wall=NOW + 200))
        monitors = instance.daemon.monitors.monitors
        assert set(monitors) == {"shop", made["id"]}
        assert monitors["shop"].paused
        instance.daemon.clock.advance(1)
        await wait_for(lambda: not monitors[made["id"]].paused)
        await wait_for(lambda: any(s.path == "/ok?api" for s in web.seen))
        assert not any(s.path == "/ok" for s in web.seen)
        await instance.daemon.writer.flush()
        _, fetched = await instance.request("GET", f"/api/monitors/{made['id']}")
        assert (fetched["status"], fetched["resume_at"]) == ("active", None)
        _, fetched = await instance.request("GET", f"/api/monitors/{shop}")
        assert fetched["status"] == "paused"
    finally:
        if instance.daemon is not None:
            await instance.stop()
        await web.close()
        gc.unfreeze()  # Daemon.start froze everything alive
