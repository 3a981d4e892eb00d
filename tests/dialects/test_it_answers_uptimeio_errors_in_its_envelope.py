"""UptimeIO's error envelope and codes: VALIDATION_ERROR (400, naming the field), NOT_FOUND,
AUTHENTICATION_ERROR, FORBIDDEN, CONFLICT (a move the lifecycle refuses; a delete) and
RATE_LIMIT_EXCEEDED (429 with Retry-After and the X-RateLimit-* headers)."""

from __future__ import annotations

import pytest

from upstatd.store.tokens import hash_secret
from uptimeiokit import BASE, assert_error, io


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("POST", BASE, {"severity": "critical"}, "title"),
    ("POST", BASE, {"title": "x", "severity": "disastrous"}, "severity"),
    ("POST", BASE, {"title": "x", "colour": "red"}, "colour"),
    ("POST", BASE, {"title": "x", "source": "system"}, "source"),
    ("POST", BASE, {"title": "x", "affected_monitor_ids": ["mon_nothing"]}, "affected_monitor_ids.0"),
    ("GET", f"{BASE}?limit=0", None, "limit"),
    ("GET", f"{BASE}?limit=101", None, "limit"),
    ("GET", f"{BASE}?offset=-1", None, "offset"),
    ("GET", f"{BASE}?sort_by=colour", None, "sort_by"),
    ("GET", f"{BASE}?sort_order=sideways", None, "sort_order"),
    ("GET", f"{BASE}?status=sleeping", None, "status"),
    ("GET", f"{BASE}?since=yesterday", None, "since"),
    ("GET", f"{BASE}?page=2", None, "page"),
])
async def test_a_bad_request_is_a_validation_error_naming_the_field(api, method, path, body, field):
    status, headers, answer = await io(api, method, path, json=body)
    assert status == 400, answer
    assert_error(answer, "VALIDATION_ERROR", field)
    assert headers["Request-Id"] == answer["error"]["details"]["upstatd"]["request_id"]


async def test_a_change_upstatd_cannot_make_is_refused_in_its_words(api):
    _, _, made = await io(api, "POST", BASE, json={"title": "Disk full"})
    incident_id = made["data"]["id"]
    status, _, answer = await io(api, "PUT", f"{BASE}/{incident_id}", json={"regions": ["eu-west"]})
    assert status == 400 and answer["error"]["details"]["field"] == "regions", answer
    status, _, answer = await io(api, "PUT", f"{BASE}/{incident_id}/status", json={"status": "closed"})
    assert status == 409, answer  # open -> closed: resolve first
    assert_error(answer, "CONFLICT", "status")
    assert "allowed: acknowledge, resolve" in answer["error"]["message"]
    status, _, answer = await io(api, "DELETE", f"{BASE}/{incident_id}")
    assert status == 409, answer
    assert_error(answer, "CONFLICT")
    status, _, still = await io(api, "GET", f"{BASE}/{incident_id}")
    assert status == 200 and still["data"]["status"] == "open"


async def test_an_unknown_incident_is_not_found(api):
    for method, path, body in (("GET", f"{BASE}/inc_nothing", None), ("PUT", f"{BASE}/inc_nothing", {}),
                               ("PUT", f"{BASE}/inc_nothing/status", {"status": "resolved"}),
                               ("POST", f"{BASE}/inc_nothing/acknowledge", None),
                               ("GET", f"{BASE}/inc_nothing/updates", None),
                               ("GET", f"{BASE}/inc_nothing/affected-checks", None),
                               ("DELETE", f"{BASE}/inc_nothing", None)):
        status, _, answer = await io(api, method, path, json=body)
        assert status == 404, (method, path, answer)
        assert_error(answer, "NOT_FOUND")
    status, _, answer = await io(api, "GET", "/uptimeio/api/nothing")
    assert status == 404
    assert_error(answer, "NOT_FOUND")
    assert "/uptimeio/api/incidents" in answer["error"]["message"]


async def test_a_method_or_parameter_a_route_does_not_take_is_refused(api):
    status, headers, answer = await io(api, "PATCH", BASE, json={})
    assert status == 405, answer
    assert_error(answer, "METHOD_NOT_ALLOWED")
    assert set(headers["Allow"].split(", ")) >= {"GET", "POST"}
    _, _, made = await io(api, "POST", BASE, json={"title": "Queue backlog"})
    status, _, answer = await io(api, "GET", f"{BASE}/{made['data']['id']}?verbose=1")
    assert status == 400, answer
    assert_error(answer, "VALIDATION_ERROR", "verbose")


async def test_a_missing_or_bad_key_is_an_authentication_error(api):
    reader = await api.make_token("incidents:read")
    revoked = await api.make_token("*")
    for key in (None, "", "upst_" + "x" * 32):
        status, headers, answer = await io(api, "GET", BASE, key=key)
        assert status == 401, (key, answer)
        assert_error(answer, "AUTHENTICATION_ERROR")
        assert "X-RateLimit-Limit" in headers
    assert "X-API-Key" in (await io(api, "GET", BASE, key=None))[2]["error"]["message"]
    status, _, answer = await io(api, "GET", BASE, key=reader)
    assert status == 200, answer
    status, _, answer = await io(api, "POST", BASE, key=reader, json={"title": "x"})
    assert status == 403, answer
    assert_error(answer, "FORBIDDEN")
    assert "incidents:create" in answer["error"]["message"]
    # the keys are upstatd's tokens: one revoked is refused at once
    await api.daemon.writer.run(lambda conn: conn.execute(
        "UPDATE tokens SET revoked_at = ? WHERE secret_hash = ?", (api.daemon.clock.time() * 1000,
                                                                   hash_secret(revoked))))
    status, _, answer = await io(api, "GET", BASE, key=revoked)
    assert status == 401, answer
    assert_error(answer, "AUTHENTICATION_ERROR")


async def test_a_full_window_is_rate_limit_exceeded(start_api):
    """The limiter is /api's: requests there and here count in one window per token."""
    api = await start_api("api: {rate_limit: {per_token_minute: 3, per_token_hour: 100, global_minute: 100}}")
    status, _, _ = await api.request("GET", "/api/incidents")  # the same token's window as /api's
    assert status == 200
    for _ in range(2):
        status, headers, _ = await io(api, "GET", BASE)
        assert status == 200
    assert headers["X-RateLimit-Limit"] == "3" and headers["X-RateLimit-Remaining"] == "0"
    status, headers, answer = await io(api, "GET", BASE)
    assert status == 429, answer
    assert_error(answer, "RATE_LIMIT_EXCEEDED")
    assert int(headers["Retry-After"]) >= 1 and headers["X-RateLimit-Remaining"] == "0"
