"""Delivery to real receivers on loopback: a receiver that fails three times
gets the event once successfully, every attempt recorded with its status,
latency and error; events keep their order behind a failing one; patterns
pick the events; the POST is signed and carries the event id."""

from __future__ import annotations

import asyncio

from hookkit import SECRET, Receiver, eventually, webhooks_yaml
from upstatd.delivery.sign import verify


async def endpoint_id(api, key: str = "hooks") -> str:
    status, _, body = await api.request("GET", "/api/webhook-endpoints")
    assert status == 200, body
    return next(item["id"] for item in body["data"] if item["key"] == key)


async def test_a_receiver_failing_three_times_gets_the_event_once(start_api):
    receiver = await Receiver(script=[500, 500, 500]).start()
    try:
        api = await start_api(webhooks_yaml(receiver.url, events='["monitor.*"]'))  # not incident.*
        api.daemon.webhooks.backoff_base = 0.05
        event = api.daemon.bus.emit("monitor.down", {"id": "mon_x", "object": "monitor"}, api.clock.time())
        await receiver.wait_for(1, ok=True)
        await asyncio.sleep(0.5)  # nothing more comes
        assert [item.status for item in receiver.got] == [500, 500, 500, 200]
        bodies = {item.body for item in receiver.got}
        assert len(bodies) == 1  # the same body every time
        for item in receiver.got:
            assert item.headers["Upstat-Event-Id"] == event.id
            assert item.headers["Content-Type"] == "application/json"
            assert item.headers["User-Agent"].startswith("upstatd/")
            assert verify(SECRET, item.body, item.headers["Upstat-Signature"])
        assert receiver.got[0].json == {"id": event.id, "object": "event", "type": "monitor.down",
                                        "created": int(event.created),
                                        "data": {"object": {"id": "mon_x", "object": "monitor"}}}
        # waits grow: ~0.05, ~0.1, ~0.2 s (± 20 %)
        gaps = [b.at - a.at for a, b in zip(receiver.got, receiver.got[1:])]
        assert gaps[0] >= 0.035 and gaps[2] >= 0.15 and gaps[2] > gaps[0], gaps

        hook = await endpoint_id(api)
        await api.daemon.writer.flush()
        status, _, page = await api.request("GET", f"/api/webhook-endpoints/{hook}/deliveries")
        assert status == 200, page
        attempts = page["data"]
        assert [a["attempt"] for a in attempts] == [4, 3, 2, 1]  # newest first
        assert [a["status_code"] for a in attempts] == [200, 500, 500, 500]
        assert [a["ok"] for a in attempts] == [True, False, False, False]
        assert attempts[0]["error"] is None and attempts[0]["next_attempt_at"] is None
        for failed in attempts[1:]:
            assert failed["error"] == "HTTP 500: nope"
            assert failed["next_attempt_at"] >= failed["created_at"]
        for item in attempts:
            assert item["object"] == "webhook_delivery" and item["id"].startswith("whd_")
            assert item["endpoint_id"] == hook and item["event_id"] == event.id
            assert item["event_type"] == "monitor.down" and item["latency_ms"] >= 0
        status, _, only_ok = await api.request("GET", f"/api/webhook-endpoints/{hook}/deliveries?ok=true")
        assert [a["attempt"] for a in only_ok["data"]] == [4]
        status, _, older = await api.request(
            "GET", f"/api/webhook-endpoints/{hook}/deliveries?limit=2&starting_after={attempts[1]['id']}")
        assert [a["attempt"] for a in older["data"]] == [2, 1] and older["has_more"] is False
        # the endpoint is done with the event: its cursor is past it
        status, _, endpoint = await api.request("GET", f"/api/webhook-endpoints/{hook}")
        assert endpoint["failing_since"] is None and endpoint["enabled"] is True
    finally:
        await receiver.close()


async def test_events_wait_behind_a_failing_one_in_order(start_api):
    receiver = await Receiver(script=[503, 503]).start()
    try:
        api = await start_api(webhooks_yaml(receiver.url, events='["monitor.*", "heartbeat.down"]'))
        api.daemon.webhooks.backoff_base = 0.05
        now = api.clock.time()
        sent = [api.daemon.bus.emit(kind, {"n": n}, now) for n, kind in enumerate(
            ["monitor.down", "incident.created", "heartbeat.up", "heartbeat.down", "monitor.up"])]
        await receiver.wait_for(3, ok=True)
        await asyncio.sleep(0.3)
        ids = [item.headers["Upstat-Event-Id"] for item in receiver.ok()]
        assert ids == [sent[0].id, sent[3].id, sent[4].id]  # in order, only those matching
        assert [item.headers["Upstat-Event-Id"] for item in receiver.got[:3]] == [sent[0].id] * 3
    finally:
        await receiver.close()


async def test_a_slow_or_dead_receiver_does_not_hold_up_another(start_api):
    fast = await Receiver().start()
    slow = await Receiver(delay=3).start()
    try:
        api = await start_api(f"""
            webhooks:
              - {{key: fast, url: "{fast.url}", events: ["monitor.*"], secret: "{SECRET}"}}
              - {{key: slow, url: "{slow.url}", events: ["monitor.*"], secret: "{SECRET}"}}
              - {{key: dead, url: "http://127.0.0.1:1/hook", events: ["monitor.*"], secret: "{SECRET}"}}
            """)
        for n in range(20):
            api.daemon.bus.emit("monitor.down", {"n": n}, api.clock.time())
        await fast.wait_for(20, timeout=3)
        assert [item.json["data"]["object"]["n"] for item in fast.got] == list(range(20))
        assert len(slow.got) == 0  # still on the first one
        dead = await endpoint_id(api, "dead")
        await api.daemon.writer.flush()
        status, _, page = await api.request("GET", f"/api/webhook-endpoints/{dead}/deliveries")
        assert page["data"] and page["data"][-1]["status_code"] is None
        assert page["data"][-1]["error"].startswith("ClientConnectorError")
    finally:
        await fast.close()
        await slow.close()


async def test_an_attempt_times_out(start_api):
    slow = await Receiver(delay=1.0).start()  # the first answer comes too late
    try:
        api = await start_api(webhooks_yaml(slow.url, events='["monitor.updated"]'))
        api.daemon.webhooks.timeout = 0.3
        api.daemon.webhooks.backoff_base = 0.05
        event = api.daemon.bus.emit("monitor.updated", {}, api.clock.time())
        await eventually(lambda: _deliveries(api))
        slow.delay = 0.0
        await slow.wait_for(2, ok=True)
        hook = await endpoint_id(api)
        await api.daemon.writer.flush()
        status, _, page = await api.request("GET", f"/api/webhook-endpoints/{hook}/deliveries")
        first = page["data"][-1]
        assert first["error"] == "no answer within 0.3s" and first["status_code"] is None
        assert 250 <= first["latency_ms"] < 900
        assert page["data"][0]["ok"] is True and page["data"][0]["event_id"] == event.id
    finally:
        await slow.close()


async def _deliveries(api) -> bool:
    await api.daemon.writer.flush()
    rows = await api.daemon.read_db.execute_fetchall("SELECT 1 FROM webhook_deliveries")
    return bool(rows)


async def test_a_redirect_is_a_failure(start_api):
    receiver = await Receiver(script=[302, 404]).start()
    try:
        api = await start_api(webhooks_yaml(receiver.url, events='["monitor.updated"]'))
        api.daemon.webhooks.backoff_base = 0.05
        api.daemon.bus.emit("monitor.updated", {}, api.clock.time())
        await receiver.wait_for(1, ok=True)
        hook = await endpoint_id(api)
        await api.daemon.writer.flush()
        status, _, page = await api.request("GET", f"/api/webhook-endpoints/{hook}/deliveries")
        assert [(d["status_code"], d["error"]) for d in page["data"]] == [
            (200, None), (404, "HTTP 404: nope"), (302, "HTTP 302: nope")]
        assert len(receiver.got) == 3  # the redirect was not followed
    finally:
        await receiver.close()
