"""The events table is the outbox: a receiver that is down while the daemon
restarts gets the event after the restart (attempts keep counting); an
endpoint failing for 24 hours is disabled with a webhook_endpoint.disabled
event, and enabling it again delivers what happens from then on."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from hookkit import SECRET, Receiver, deliveries, eventually, webhooks_yaml
from loopback import closed_port
from upstatd.app import Daemon
from upstatd.clock import FakeClock
from upstatd.config.load import load_config
from upstatd.delivery import webhooks as delivery
from upstatd.delivery.sign import verify
from upstatd.systemd import Notifier


async def run_daemon(base: Path, hook_url: str) -> Daemon:
    base.mkdir(exist_ok=True)
    config = base / "config.yaml"
    config.write_text(f'server: {{listen: "127.0.0.1:{closed_port()}"}}\n'
                      f'storage: {{path: "{base / "state" / "upstatd.db"}"}}\n'
                      "monitors: []\n" + webhooks_yaml(hook_url, events='["monitor.*"]').replace("\n    ", "\n"))
    daemon = Daemon(load_config(str(config), environ={}), notifier=Notifier(None))
    await daemon.start()
    return daemon


async def stop(daemon: Daemon) -> None:
    await daemon.stop()
    gc.unfreeze()


async def test_a_receiver_down_across_a_restart_gets_the_event_after_it(tmp_path, monkeypatch):
    monkeypatch.setattr(delivery, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(delivery, "BACKOFF_MAX", 0.2)
    port = closed_port()
    url = f"http://127.0.0.1:{port}/hook"
    first = await run_daemon(tmp_path / "d", url)
    try:
        event = first.bus.emit("monitor.down", {"id": "mon_1"}, first.clock.time())
        await eventually(lambda: _count(first, 2))
    finally:
        await stop(first)
    before = len(await _rows(tmp_path))
    assert before >= 2

    second = await run_daemon(tmp_path / "d", url)
    receiver = None
    try:
        await eventually(lambda: _count(second, before + 1))  # still down after the restart
        receiver = await Receiver().start(port)
        await receiver.wait_for(1)
        await asyncio.sleep(0.3)
        assert len(receiver.got) == 1
        got = receiver.got[0]
        assert got.headers["Upstat-Event-Id"] == event.id
        assert got.json["id"] == event.id and got.json["data"]["object"] == {"id": "mon_1"}
        assert verify(SECRET, got.body, got.headers["Upstat-Signature"])
        rows = await deliveries(second)
        assert [row[0] for row in rows] == list(range(1, len(rows) + 1))  # attempts kept counting
        assert [row[1] for row in rows] == [0] * (len(rows) - 1) + [1]
        assert {row[3] for row in rows} == {event.id}
    finally:
        await stop(second)
        if receiver is not None:
            await receiver.close()

    # a third start delivers nothing again: the cursor moved past it
    receiver = await Receiver().start(port)
    third = await run_daemon(tmp_path / "d", url)
    try:
        await asyncio.sleep(1.2)
        assert receiver.got == []
    finally:
        await stop(third)
        await receiver.close()


async def _count(daemon: Daemon, n: int) -> bool:
    return len(await deliveries(daemon)) >= n


async def _rows(tmp_path: Path) -> list:
    import sqlite3
    with sqlite3.connect(tmp_path / "d" / "state" / "upstatd.db") as conn:
        return conn.execute("SELECT attempt FROM webhook_deliveries").fetchall()


async def test_an_endpoint_failing_for_24_hours_is_disabled_with_an_event(start_api):
    dead = await Receiver(then=500).start()
    watcher = await Receiver().start()
    clock = FakeClock(wall=1_800_000_000)
    try:
        api = await start_api(f"""
            webhooks:
              - {{key: hooks, url: "{dead.url}", events: ["monitor.*"], secret: "{SECRET}"}}
              - {{key: watcher, url: "{watcher.url}", events: ["webhook_endpoint.*"], secret: "{SECRET}"}}
            """, clock=clock)
        api.daemon.webhooks.backoff_base = 0.05
        api.daemon.webhooks.backoff_max = 0.1
        api.daemon.bus.emit("monitor.down", {"id": "mon_1"}, clock.time())
        await dead.wait_for(1)
        await eventually(lambda: clock.sleeping)  # the retry waits on the daemon's clock
        clock.advance(1)
        await dead.wait_for(2)
        await api.daemon.writer.flush()  # failing_since is queued with the attempt
        status, _, listed = await api.request("GET", "/api/webhook-endpoints?enabled=true")
        hook = next(item for item in listed["data"] if item["key"] == "hooks")
        assert hook["failing_since"] == 1_800_000_000 and hook["enabled"]
        await eventually(lambda: clock.sleeping)
        clock.advance(24 * 3600)
        await watcher.wait_for(1)
        disabled = watcher.got[0].json
        assert disabled["type"] == "webhook_endpoint.disabled"
        assert verify(SECRET, watcher.got[0].body, watcher.got[0].headers["Upstat-Signature"], now=clock.time())
        obj = disabled["data"]["object"]
        assert obj["id"] == hook["id"] and obj["enabled"] is False and obj["status"] == "disabled"
        assert "failed for 24 hours" in obj["disabled_reason"] and "HTTP 500" in obj["disabled_reason"]
        assert obj["secret"] == "********"  # masked, as on every read
        tries = len(dead.got)
        await asyncio.sleep(0.4)
        assert len(dead.got) == tries  # stopped
        status, _, now_hook = await api.request("GET", f"/api/webhook-endpoints/{hook['id']}")
        assert now_hook == obj  # one serializer: the event shows the endpoint as GET does
        status, _, events = await api.request("GET", "/api/events?type=webhook_endpoint.disabled")
        assert [e["id"] for e in events["data"]] == [disabled["id"]]

        # enabled again (a config endpoint: enabling works over the API): new events only
        dead.then = 200
        status, _, enabled = await api.request("PATCH", f"/api/webhook-endpoints/{hook['id']}",
                                               json={"enabled": True})
        assert status == 200, enabled
        assert enabled["enabled"] is True and enabled["disabled_reason"] is None
        assert enabled["failing_since"] is None
        fresh = api.daemon.bus.emit("monitor.up", {"id": "mon_1"}, clock.time())
        await dead.wait_for(1, ok=True)
        await asyncio.sleep(0.3)
        assert [item.headers["Upstat-Event-Id"] for item in dead.ok()] == [fresh.id]
    finally:
        await dead.close()
        await watcher.close()
