"""Errors as Better Stack answers them: a 422 with `errors` keyed by Better Stack's field
(never upstatd's name for it), 404 and 401 with `errors` the message, the rate limit's 429
the same way; the fields upstatd has no counterpart for are taken and dropped, regions
refused by name."""

from __future__ import annotations

from upstatd.clock import FakeClock


async def test_a_validation_error_names_better_stacks_field(api):
    cases = [
        ({"url": "https://example.com"}, "monitor_type"),
        ({"monitor_type": "playwright", "url": "https://example.com"}, "monitor_type"),
        ({"monitor_type": "status", "url": "ftp://example.com"}, "url"),
        ({"monitor_type": "status", "url": "https://example.com", "check_frequency": 0}, "check_frequency"),
        ({"monitor_type": "status", "url": "https://example.com", "request_timeout": 900}, "request_timeout"),
        ({"monitor_type": "status", "url": "https://example.com", "http_method": "brew"}, "http_method"),
        ({"monitor_type": "status", "url": "https://example.com", "check_frequency": "often"}, "check_frequency"),
        ({"monitor_type": "keyword", "url": "https://example.com"}, "required_keyword"),
        ({"monitor_type": "tcp", "url": "example.com"}, "port"),
        ({"monitor_type": "status", "url": "https://example.com", "regions": ["us", "eu"]}, "regions"),
        ({"monitor_type": "status", "url": "https://example.com", "playwright_script": "x"}, "playwright_script"),
    ]
    for sent, field in cases:
        status, headers, answer = await api.request("POST", "/api/v2/monitors", json=sent)
        assert status == 422, (sent, status, answer)
        assert list(answer) == ["errors"] and list(answer["errors"]) == [field], (sent, answer)
        assert all(isinstance(message, str) for message in answer["errors"][field])
        assert headers["Request-Id"].startswith("req_")
    status, _, answer = await api.request("POST", "/api/v2/monitors", json=[1])
    assert status == 422 and list(answer["errors"]) == ["base"], answer
    _, _, answer = await api.request("POST", "/api/v2/monitors",
                                     json={"monitor_type": "status", "url": "https://example.com", "regions": []})
    assert "non-empty list" in answer["errors"]["regions"][0]
    _, _, answer = await api.request("POST", "/api/v2/monitors",
                                     json={"monitor_type": "status", "url": "https://example.com", "regions": ["au"]})
    assert "no region named 'au'" in answer["errors"]["regions"][0]  # the config declares local alone
    _, _, ours = await api.request("GET", "/api/monitors")
    assert ours["data"] == []  # nothing was made


async def test_fields_without_a_counterpart_are_taken_and_dropped(api):
    sent = {"monitor_type": "status", "url": "http://127.0.0.1:9/", "call": True, "sms": True, "email": True,
            "push": True, "critical_alert": True, "team_wait": 300, "team_name": "Ops", "remember_cookies": True,
            "domain_expiration": 14, "maintenance_from": "01:00:00", "maintenance_to": "02:00:00",
            "maintenance_timezone": "Amsterdam", "maintenance_days": ["mon"], "paused": True}
    status, _, made = await api.request("POST", "/api/v2/monitors", json=sent)
    assert status == 201, made
    assert made["data"]["attributes"]["call"] is False and made["data"]["attributes"]["team_wait"] is None


async def test_an_unknown_id_and_a_bad_token(api):
    for method in ("GET", "PATCH", "DELETE"):
        for kind in ("monitors", "heartbeats"):
            status, _, answer = await api.request(method, f"/api/v2/{kind}/mon_missing", json={} if method == "PATCH" else None)
            assert status == 404 and list(answer) == ["errors"] and "mon_missing" in answer["errors"], answer
    for token, headers in ((None, {}), ("upst_" + "x" * 32, {}), (None, {"Authorization": "Basic eDp5"})):
        status, sent_back, answer = await api.request("GET", "/api/v2/monitors", token=token, headers=headers)
        assert status == 401 and list(answer) == ["errors"] and isinstance(answer["errors"], str), answer
        assert sent_back["WWW-Authenticate"].startswith("Bearer")
    reader = await api.make_token("heartbeats:read")
    status, _, answer = await api.request("GET", "/api/v2/monitors", token=reader)
    assert status == 403 and "monitors:read" in answer["errors"], answer
    status, _, answer = await api.request("GET", "/api/v2/nothing-here")
    assert status == 404 and list(answer) == ["errors"], answer


async def test_the_rate_limit_in_its_envelope(start_api):
    api = await start_api("api: {rate_limit: {per_token_minute: 2}}", clock=FakeClock(wall=1_800_000_000))
    for _ in range(2):
        status, _, _ = await api.request("GET", "/api/v2/heartbeats")
        assert status == 200
    status, headers, answer = await api.request("GET", "/api/v2/heartbeats")
    assert status == 429 and list(answer) == ["errors"] and isinstance(answer["errors"], str), answer
    assert headers["X-RateLimit-Remaining"] == "0" and "Retry-After" in headers


async def test_an_unknown_field_is_named_as_sent(api):
    """A field Better Stack does not have is named as sent, even where upstatd has one of that name."""
    for field in ("type", "name", "interval_seconds"):
        status, _, answer = await api.request("POST", "/api/v2/monitors", json={
            "monitor_type": "status", "url": "https://example.com", field: "x"})
        assert (status, list(answer["errors"])) == (422, [field]), answer
