"""/api/webhook-endpoints over real HTTP: create (the secret shown once, masked
on reads), read, update (a change that changes nothing writes nothing), delete
(204); validation errors name their param (422, or 400 for a wrong type or an
unknown parameter); a disable over the API is a webhook_endpoint.disabled
event showing the endpoint as GET does; config endpoints
are read-only but for enabling; permissions; POST …/test sends a ping that is
recorded as a delivery and not stored as an event; a new endpoint gets no
history; a changed URL and a rotated secret take effect at once; a reload
reconciles the YAML endpoints."""

from __future__ import annotations

import asyncio
import sqlite3

from hookkit import SECRET, Receiver, deliveries, eventually, webhooks_yaml
from upstatd.clock import FakeClock
from upstatd.delivery.sign import verify

NOW = 1_800_000_000  # a FakeClock's wall time, Unix seconds
MASK = "********"


def error(body: dict) -> tuple[int | None, str, str | None]:
    e = body["error"]
    return e["type"], e["code"], e["param"]


async def test_it_creates_reads_updates_and_deletes_an_endpoint(api):
    status, _, made = await api.request("POST", "/api/webhook-endpoints", json={
        "url": "https://hooks.example.com/upstat", "events": ["incident.*", "monitor.down", "incident.*"],
        "description": "bridge", "metadata": {"team": "ops", "gone": ""}})
    assert status == 201, made
    endpoint_id = made["id"]
    assert endpoint_id.startswith("we_") and made["secret"].startswith("whsec_") and len(made["secret"]) > 30
    now = int(api.clock.time())
    expected = {"id": endpoint_id, "object": "webhook_endpoint", "key": None,
                "url": "https://hooks.example.com/upstat", "events": ["incident.*", "monitor.down"],
                "secret": MASK, "enabled": True, "status": "enabled", "disabled_reason": None,
                "description": "bridge", "metadata": {"team": "ops"}, "failing_since": None, "managed_by": "api"}
    assert {k: v for k, v in made.items() if k not in ("secret", "created_at", "updated_at")} == \
        {k: v for k, v in expected.items() if k != "secret"}
    assert abs(made["created_at"] - now) <= 1

    status, _, read = await api.request("GET", f"/api/webhook-endpoints/{endpoint_id}")
    assert status == 200 and read["secret"] == MASK
    assert {k: v for k, v in read.items() if k not in ("created_at", "updated_at")} == expected
    status, _, listed = await api.request("GET", "/api/webhook-endpoints")
    assert [item["id"] for item in listed["data"]] == [endpoint_id] and listed["data"][0] == read
    assert listed["url"] == "/api/webhook-endpoints"

    status, _, changed = await api.request("PATCH", f"/api/webhook-endpoints/{endpoint_id}", json={
        "url": "http://127.0.0.1:9/x", "events": ["*"], "description": None, "metadata": {"env": "prod"}})
    assert status == 200, changed
    assert (changed["url"], changed["events"], changed["description"], changed["metadata"]) == \
        ("http://127.0.0.1:9/x", ["*"], None, {"team": "ops", "env": "prod"})
    assert changed["secret"] == MASK
    status, _, again = await api.request("PUT", f"/api/webhook-endpoints/{endpoint_id}", json={"events": ["*"]})
    assert status == 200 and again == changed  # PUT is a partial update too
    status, _, off = await api.request("PATCH", f"/api/webhook-endpoints/{endpoint_id}", json={"enabled": False})
    assert (off["enabled"], off["status"], off["disabled_reason"]) == (False, "disabled", None)
    assert endpoint_id not in api.daemon.webhooks.workers
    status, _, listed = await api.request("GET", "/api/webhook-endpoints?enabled=true")
    assert listed["data"] == []

    status, _, deleted = await api.request("DELETE", f"/api/webhook-endpoints/{endpoint_id}")
    assert (status, deleted) == (204, None)
    for path in ("", "/deliveries"):
        status, _, gone = await api.request("GET", f"/api/webhook-endpoints/{endpoint_id}{path}")
        assert status == 404 and error(gone)[1] == "resource_missing"


async def test_bad_input_names_the_param(api):
    cases = [  # 422: well-formed values the checks refuse; 400: malformed
        ({"url": "ftp://x", "events": ["*"]}, 422, "url"),
        ({"url": "not a url", "events": ["*"]}, 422, "url"),
        ({"url": "https://x.example", "events": []}, 422, "events"),
        ({"url": "https://x.example", "events": ["monitor.down", "nope.*"]}, 422, "events.1"),
        ({"url": "https://x.example", "events": ["ping"]}, 422, "events.0"),
        ({"url": "https://x.example", "events": ["*"], "description": "d" * 1001}, 422, "description"),
        ({"url": "https://x.example", "events": ["*"], "metadata": {"k" * 41: "v"}}, 422, "metadata." + "k" * 41),
        # a missing field, an unknown one, a wrong type: 400
        ({"url": "https://x.example"}, 400, "events"),
        ({"url": "https://x.example", "events": ["*"], "secret": "mine-mine-mine-mine"}, 400, "secret"),
        ({"url": "https://x.example", "events": ["*"], "metadata": {"k": 1}}, 400, "metadata.k"),
        ({"url": "https://x.example", "events": "*"}, 400, "events"),
    ]
    for body, expected, param in cases:
        status, _, answer = await api.request("POST", "/api/webhook-endpoints", json=body)
        assert status == expected, (body, answer)
        assert error(answer)[0] == "invalid_request_error" and error(answer)[2] == param, (body, answer)
    _, _, made = await api.request("POST", "/api/webhook-endpoints", json={"url": "https://x.example",
                                                                            "events": ["*"]})
    status, _, answer = await api.request("PATCH", f"/api/webhook-endpoints/{made['id']}",
                                          json={"events": ["monitor.nope"]})
    assert (status, error(answer)[2]) == (422, "events.0")
    status, _, answer = await api.request("PATCH", "/api/webhook-endpoints/we_nope", json={"enabled": True})
    assert status == 404
    status, _, listed = await api.request("GET", "/api/webhook-endpoints")
    assert [item["id"] for item in listed["data"]] == [made["id"]]  # nothing half-made


async def test_the_secret_is_shown_once_even_to_a_replay(api):
    headers = {"Idempotency-Key": "make-hook-1"}
    body = {"url": "https://hooks.example.com/a", "events": ["*"]}
    status, _, first = await api.request("POST", "/api/webhook-endpoints", json=body, headers=headers)
    status2, replay_headers, again = await api.request("POST", "/api/webhook-endpoints", json=body,
                                                       headers=headers)
    assert status == status2 == 201 and replay_headers["Idempotent-Replayed"] == "true"
    assert first["secret"].startswith("whsec_") and again["secret"] is None and again["id"] == first["id"]
    (stored,) = (await api.daemon.read_db.execute_fetchall("SELECT body FROM idempotency_keys"))[0]
    assert first["secret"].encode() not in stored


async def test_permissions(api):
    reader = await api.make_token("webhooks:read")
    status, _, answer = await api.request("POST", "/api/webhook-endpoints", token=reader,
                                          json={"url": "https://x.example", "events": ["*"]})
    assert status == 403 and error(answer)[2] is None and "webhooks:create" in answer["error"]["message"]
    status, _, _ = await api.request("GET", "/api/webhook-endpoints", token=reader)
    assert status == 200
    other = await api.make_token("monitors:*")
    status, _, _ = await api.request("GET", "/api/webhook-endpoints", token=other)
    assert status == 403


async def test_config_endpoints_can_only_be_enabled_and_disabled(start_api):
    api = await start_api(webhooks_yaml("https://hooks.example.com/cfg", key="cfg"))
    status, _, listed = await api.request("GET", "/api/webhook-endpoints")
    (hook,) = listed["data"]
    assert (hook["key"], hook["managed_by"], hook["url"]) == ("cfg", "config", "https://hooks.example.com/cfg")
    hook_id = hook["id"]
    for method, path, body in (("PATCH", "", {"url": "https://x.example"}), ("DELETE", "", None),
                               ("POST", "/rotate-secret", None), ("PATCH", "", {"metadata": {"a": "b"}})):
        status, _, answer = await api.request(method, f"/api/webhook-endpoints/{hook_id}{path}", json=body)
        assert status == 409 and error(answer)[1] == "managed_by_config", (method, path, answer)
        assert str(api.config_path) in answer["error"]["message"] and "'cfg'" in answer["error"]["message"]
    status, _, off = await api.request("PATCH", f"/api/webhook-endpoints/{hook_id}", json={"enabled": False})
    assert status == 200 and off["enabled"] is False and off["disabled_reason"] == "disabled over the API"
    # a reload with the same file keeps it disabled; enabling over the API works
    assert await api.daemon.reload()
    status, _, still = await api.request("GET", f"/api/webhook-endpoints/{hook_id}")
    assert still["enabled"] is False
    status, _, on = await api.request("PATCH", f"/api/webhook-endpoints/{hook_id}", json={"enabled": True})
    assert on["enabled"] is True and on["disabled_reason"] is None and hook_id in api.daemon.webhooks.workers


async def test_a_test_ping_is_sent_and_recorded_but_not_stored_as_an_event(api):
    receiver = await Receiver().start()
    try:
        status, _, made = await api.request("POST", "/api/webhook-endpoints", json={
            "url": receiver.url, "events": ["incident.created"], "enabled": False})
        status, _, sent = await api.request("POST", f"/api/webhook-endpoints/{made['id']}/test")
        assert status == 200, sent
        assert (sent["object"], sent["event_type"], sent["attempt"], sent["ok"], sent["status_code"],
                sent["error"], sent["next_attempt_at"]) == ("webhook_delivery", "ping", 1, True, 200, None, None)
        assert sent["id"].startswith("whd_") and sent["endpoint_id"] == made["id"] and sent["latency_ms"] > 0
        (got,) = receiver.got
        assert got.json["type"] == "ping" and got.json["id"] == sent["event_id"]
        status, _, read = await api.request("GET", f"/api/webhook-endpoints/{made['id']}")
        assert got.json["data"]["object"] == read and read["secret"] == MASK
        assert got.headers["Upstat-Event-Id"] == sent["event_id"]
        assert verify(made["secret"], got.body, got.headers["Upstat-Signature"])
        status, _, events = await api.request("GET", "/api/events")
        assert all(event["type"] != "ping" for event in events["data"])
        status, _, page = await api.request("GET", f"/api/webhook-endpoints/{made['id']}/deliveries")
        assert page["data"] == [sent]
    finally:
        await receiver.close()
    status, _, failed = await api.request("POST", f"/api/webhook-endpoints/{made['id']}/test")
    assert status == 200 and failed["ok"] is False and failed["status_code"] is None and failed["error"]


async def test_changes_take_effect_at_once(api):
    receiver = await Receiver().start()
    try:
        api.daemon.bus.emit("monitor.updated", {"n": 0}, api.clock.time())  # before: not sent
        await api.daemon.writer.flush()
        status, _, made = await api.request("POST", "/api/webhook-endpoints", json={
            "url": "http://127.0.0.1:1/down", "events": ["monitor.updated"]})
        hook = made["id"]
        api.daemon.webhooks.backoff_base = 30  # the retry would be far off
        first = api.daemon.bus.emit("monitor.updated", {"n": 1}, api.clock.time())
        await eventually(lambda: _attempts(api, hook))
        # the new URL is used at once, not after the backoff
        status, _, changed = await api.request("PATCH", f"/api/webhook-endpoints/{hook}",
                                               json={"url": receiver.url})
        assert status == 200
        await receiver.wait_for(1, timeout=5)
        assert [item.headers["Upstat-Event-Id"] for item in receiver.got] == [first.id]
        assert verify(made["secret"], receiver.got[0].body, receiver.got[0].headers["Upstat-Signature"])
        # a rotated secret signs the next delivery
        status, _, rotated = await api.request("POST", f"/api/webhook-endpoints/{hook}/rotate-secret")
        assert status == 200 and rotated["secret"] != made["secret"] and rotated["secret"].startswith("whsec_")
        api.daemon.bus.emit("monitor.updated", {"n": 2}, api.clock.time())
        await receiver.wait_for(2)
        last = receiver.got[-1]
        assert verify(rotated["secret"], last.body, last.headers["Upstat-Signature"])
        assert not verify(made["secret"], last.body, last.headers["Upstat-Signature"])
        assert [item.json["data"]["object"]["n"] for item in receiver.got] == [1, 2]
    finally:
        await receiver.close()


async def _attempts(api, hook: str) -> bool:
    await api.daemon.writer.flush()
    status, _, page = await api.request("GET", f"/api/webhook-endpoints/{hook}/deliveries")
    return bool(page["data"])


async def test_a_reload_reconciles_the_yaml_endpoints(start_api):
    one, two = await Receiver().start(), await Receiver().start()
    try:
        api = await start_api(webhooks_yaml(one.url, key="one", events='["monitor.updated"]'))
        api.daemon.bus.emit("monitor.updated", {"n": 1}, api.clock.time())
        await one.wait_for(1)
        text = api.config_path.read_text()
        api.config_path.write_text(text.split("webhooks:")[0] + f"""webhooks:
  - {{key: two, url: "{two.url}", events: ["monitor.updated"], secret: "{SECRET}"}}
""")
        assert await api.daemon.reload()
        status, _, listed = await api.request("GET", "/api/webhook-endpoints")
        assert [item["key"] for item in listed["data"]] == ["two"]
        assert await deliveries(api.daemon, "one") == []  # its history went with it
        api.daemon.bus.emit("monitor.updated", {"n": 2}, api.clock.time())
        await two.wait_for(1)
        await asyncio.sleep(0.2)
        assert [item.json["data"]["object"]["n"] for item in two.got] == [2]  # no history
        assert len(one.got) == 1
    finally:
        await one.close()
        await two.close()


def _stored(api, endpoint_id: str) -> tuple:
    with sqlite3.connect(api.db_path) as conn:
        return conn.execute("SELECT url, events, description, metadata, enabled, updated_at FROM "
                            "webhook_endpoints WHERE id = ?", (endpoint_id,)).fetchone()


async def _events(api, pattern: str = "webhook_endpoint.*") -> list[dict]:
    await api.daemon.writer.flush()
    _, _, listed = await api.request("GET", f"/api/events?type={pattern}")
    return listed["data"]


async def test_a_change_that_changes_nothing_writes_nothing(start_api):
    clock = FakeClock(wall=NOW)
    api = await start_api(clock=clock)
    _, _, made = await api.request("POST", "/api/webhook-endpoints", json={
        "url": "https://hooks.example.com/a", "events": ["monitor.*", "incident.*"], "description": "d",
        "metadata": {"team": "ops"}})
    path = f"/api/webhook-endpoints/{made['id']}"
    before = _stored(api, made["id"])
    clock.advance(100)
    for method, body in (("PATCH", {}),
                         ("PATCH", {"url": made["url"], "events": ["monitor.*", "incident.*", "monitor.*"],
                                    "description": "d", "metadata": {"team": "ops", "absent": ""},
                                    "enabled": True}),
                         ("PUT", {"enabled": True})):
        status, _, answer = await api.request(method, path, json=body)
        assert (status, answer["updated_at"]) == (200, NOW), (method, body, answer)
        assert {k: v for k, v in answer.items() if k != "secret"} == \
            {k: v for k, v in made.items() if k != "secret"}
    assert _stored(api, made["id"]) == before
    # disabled twice: one event
    status, _, off = await api.request("PATCH", path, json={"enabled": False})
    assert (status, off["updated_at"]) == (200, NOW + 100)
    clock.advance(100)
    status, _, again = await api.request("PATCH", path, json={"enabled": False})
    assert (status, again) == (200, off)
    assert [event["type"] for event in await _events(api)] == ["webhook_endpoint.disabled"]
    # a real change moves updated_at
    status, _, changed = await api.request("PATCH", path, json={"metadata": {"team": "web"}})
    assert (status, changed["updated_at"], changed["metadata"]) == (200, NOW + 200, {"team": "web"})


async def test_a_disable_over_the_api_is_an_event_showing_the_endpoint_as_get_does(start_api):
    api = await start_api(webhooks_yaml("https://hooks.example.com/cfg", key="cfg"))
    _, _, made = await api.request("POST", "/api/webhook-endpoints", json={
        "url": "https://hooks.example.com/a", "events": ["*"], "metadata": {"team": "ops"}})
    _, _, listed = await api.request("GET", "/api/webhook-endpoints")
    config_id = next(item["id"] for item in listed["data"] if item["key"] == "cfg")
    for endpoint_id, reason in ((made["id"], None), (config_id, "disabled over the API")):
        status, _, off = await api.request("PATCH", f"/api/webhook-endpoints/{endpoint_id}",
                                           json={"enabled": False})
        assert status == 200 and off["disabled_reason"] == reason
        status, _, read = await api.request("GET", f"/api/webhook-endpoints/{endpoint_id}")
        (event,) = [item for item in await _events(api) if item["data"]["object"]["id"] == endpoint_id]
        assert event["type"] == "webhook_endpoint.disabled"
        assert event["data"]["object"] == read == off and read["secret"] == MASK
        assert event["data"]["reason"] == "disabled over the API"
    # enabling records no event (there is no type for it)
    await api.request("PATCH", f"/api/webhook-endpoints/{made['id']}", json={"enabled": True})
    assert len(await _events(api)) == 2


async def test_delete_answers_204_with_no_body(api):
    _, _, made = await api.request("POST", "/api/webhook-endpoints", json={
        "url": "https://hooks.example.com/a", "events": ["*"]})
    async with api.session.delete(f"{api.url}/api/webhook-endpoints/{made['id']}",
                                  headers={"Authorization": f"Bearer {api.admin_token}"}) as response:
        assert response.status == 204 and await response.read() == b""
        assert "Content-Type" not in response.headers and response.headers["Request-Id"]
    assert made["id"] not in api.daemon.webhooks.workers
    status, _, _ = await api.request("DELETE", f"/api/webhook-endpoints/{made['id']}")
    assert status == 404
    assert await _events(api) == []  # no event type for it


async def test_delivery_times_are_integer_seconds_with_milliseconds_beside(api):
    _, _, made = await api.request("POST", "/api/webhook-endpoints", json={
        "url": "http://127.0.0.1:1/down", "events": ["monitor.updated"]})
    api.daemon.webhooks.backoff_base = 30  # one attempt, its retry far off
    before_ms = round(api.clock.time() * 1000)
    api.daemon.bus.emit("monitor.updated", {"n": 1}, api.clock.time())
    await eventually(lambda: _attempts(api, made["id"]))
    _, _, tested = await api.request("POST", f"/api/webhook-endpoints/{made['id']}/test")
    _, _, page = await api.request("GET", f"/api/webhook-endpoints/{made['id']}/deliveries")
    ping, failed = page["data"]
    assert ping == tested and ping["next_attempt_at"] is None and ping["next_attempt_at_ms"] is None
    for item in page["data"]:
        assert type(item["created_at"]) is int and type(item["created_at_ms"]) is int
        assert item["created_at"] == item["created_at_ms"] // 1000 and item["created_at_ms"] >= before_ms
    assert type(failed["next_attempt_at"]) is int and type(failed["next_attempt_at_ms"]) is int
    assert failed["next_attempt_at"] == failed["next_attempt_at_ms"] // 1000
    assert 20_000 <= failed["next_attempt_at_ms"] - failed["created_at_ms"] <= 40_000
    _, _, older = await api.request(
        "GET", f"/api/webhook-endpoints/{made['id']}/deliveries?starting_after={ping['id']}")
    assert older["data"] == [failed]
