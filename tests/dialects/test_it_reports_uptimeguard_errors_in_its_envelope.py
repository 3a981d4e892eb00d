"""Errors under /v1 in UptimeGuard's envelope, `{"error": {"code", "message", "request_id"}}`
(with upstatd's `type` and `param` beside them): VALIDATION_ERROR naming UptimeGuard's field,
MONITOR_NOT_FOUND, INVALID_API_KEY, RATE_LIMIT_EXCEEDED with Retry-After, and
MONITOR_ALREADY_EXISTS for a second monitor on one URL made through /v1."""

from __future__ import annotations

from uptimeguardkit import assert_error, start_api  # noqa: F401  (a fixture)
from upstatd.clock import FakeClock

GOOD = {"name": "shop", "url": "http://127.0.0.1:9/", "type": "http", "interval_seconds": 60}
MISSING = "mon_" + "0" * 22


async def test_it_names_the_field_of_a_validation_error(start_api):
    api = await start_api()
    for change, param in (({"interval_seconds": 0}, "interval_seconds"), ({"type": "dns"}, "type"),
                          ({"url": "ftp://127.0.0.1/"}, "url"), ({"alert_channels": ["ch_nowhere"]},
                                                                   "alert_channels.0"),
                          ({"colour": "red"}, "colour")):
        status, headers, body = await api.request("POST", "/v1/monitors", json={**GOOD, **change})
        assert status in (400, 422), (change, body)
        assert_error(body, "VALIDATION_ERROR")
        assert body["error"]["param"] == param, body
        assert headers["Request-Id"] == body["error"]["request_id"]
    status, _, body = await api.request("POST", "/v1/monitors", json={"url": "http://127.0.0.1:9/"})
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR", body
    _, _, made = await api.request("POST", "/v1/monitors", json=GOOD)
    for path, sent, param in ((f"/v1/monitors/{made['id']}/pause", {"resume_at": "tomorrow"}, "resume_at"),
                              (f"/v1/monitors/{made['id']}/pause", {"resume_at": "2001-01-01T00:00:00Z"},
                               "resume_at")):
        status, _, body = await api.request("POST", path, json=sent)
        assert status == 400, body
        assert_error(body, "VALIDATION_ERROR")
        assert body["error"]["param"] == param
    status, _, body = await api.request("GET", f"/v1/monitors/{made['id']}/incidents?from=yesterday")
    assert status == 400 and body["error"]["param"] == "from", body
    # the type cannot change after creation
    status, _, body = await api.request("PUT", f"/v1/monitors/{made['id']}", json={"type": "tcp"})
    assert status == 422 and body["error"]["param"] == "type", body
    assert_error(body, "VALIDATION_ERROR")


async def test_it_says_monitor_not_found_for_an_unknown_id(start_api):
    api = await start_api()
    for method, path, sent in (("GET", "", None), ("PUT", "", {"name": "x"}), ("DELETE", "", None),
                               ("GET", "/status", None), ("GET", "/incidents", None), ("POST", "/pause", {})):
        status, _, body = await api.request(method, f"/v1/monitors/{MISSING}{path}", json=sent)
        assert status == 404, (method, path, body)
        assert_error(body, "MONITOR_NOT_FOUND")
        assert MISSING in body["error"]["message"]


async def test_it_says_invalid_api_key_for_a_bad_token(start_api):
    api = await start_api()
    for token, headers in (("ug_live_sk_7f3a9c2e1b4d8f6a0e5c9d2b7a1f4e8c", {}), (None, {})):
        status, answer_headers, body = await api.request("GET", "/v1/monitors", token=token, headers=headers)
        assert status == 401, body
        assert_error(body, "INVALID_API_KEY")
        assert "WWW-Authenticate" in answer_headers


async def test_it_says_rate_limit_exceeded_with_retry_after(start_api):
    api = await start_api("api: {rate_limit: {per_token_minute: 3}}", clock=FakeClock(wall=1_800_000_010))
    for _ in range(3):
        status, _, _ = await api.request("GET", "/v1/monitors")
        assert status == 200
    status, headers, body = await api.request("GET", "/v1/monitors")
    assert status == 429, body
    assert_error(body, "RATE_LIMIT_EXCEEDED")
    assert int(headers["Retry-After"]) == 50  # the minute window ends at :00
    api.clock.advance(50)
    status, _, _ = await api.request("GET", "/v1/monitors")
    assert status == 200


async def test_it_refuses_a_second_monitor_on_one_url_made_through_v1(start_api):
    api = await start_api()
    status, _, first = await api.request("POST", "/v1/monitors", json=GOOD)
    assert status == 201
    status, _, body = await api.request("POST", "/v1/monitors", json={**GOOD, "name": "again"})
    assert status == 409, body
    assert_error(body, "MONITOR_ALREADY_EXISTS")
    assert body["error"]["param"] == "url" and first["id"] in body["error"]["message"]
    # /api has no such rule, and a monitor made there does not block one through /v1
    status, _, _ = await api.request("POST", "/api/monitors", json={"type": "http", "url": GOOD["url"]})
    assert status == 201
    other = {**GOOD, "url": "http://127.0.0.1:9/other"}
    status, _, _ = await api.request("POST", "/api/monitors", json={"type": "http", "url": other["url"]})
    status, _, _ = await api.request("POST", "/v1/monitors", json=other)
    assert status == 201
    # once the first is deleted, its URL is free again
    await api.request("DELETE", f"/v1/monitors/{first['id']}")
    status, _, _ = await api.request("POST", "/v1/monitors", json=GOOD)
    assert status == 201


async def test_it_answers_an_unknown_route_under_v1_in_the_envelope(start_api):
    api = await start_api()
    status, _, body = await api.request("GET", "/v1/alerts")
    assert status == 404 and set(body["error"]) >= {"code", "message", "request_id"}, body


async def test_it_refuses_a_token_without_the_permission_and_edits_of_config_monitors(start_api):
    api = await start_api('monitors:\n  - {key: shop, type: http, url: "http://127.0.0.1:9/", interval: 1h}')
    reader = await api.make_token("monitors:read")
    status, _, listed = await api.request("GET", "/v1/monitors", token=reader)
    assert status == 200 and listed["total"] == 1, listed
    (shop,) = listed["monitors"]
    status, _, body = await api.request("POST", "/v1/monitors", token=reader, json=GOOD)
    assert status == 403, body
    assert_error(body, "missing_permission")  # UptimeGuard has no code for it: upstatd's
    assert "monitors:create" in body["error"]["message"]
    # a monitor of the config file: read and paused here, edited in the file
    status, _, body = await api.request("PUT", f"/v1/monitors/{shop['id']}", json={"name": "x"})
    assert status == 409, body
    assert_error(body, "managed_by_config")
    status, _, body = await api.request("POST", f"/v1/monitors/{shop['id']}/pause", json={})
    assert status == 200 and body["status"] == "paused", body
