"""Rate limits: per token per minute and per hour, all tokens per minute.
The limiter alone on a table of hits, then over HTTP with a small configured
limit on a fake clock: the headers count down, 429 arrives at the limit with
Retry-After, and requests without a valid token are answered with the global
window's headers without being counted."""

from __future__ import annotations

import pytest

from upstatd.api.errors import ApiError
from upstatd.api.ratelimit import Limits, RateLimiter, Status
from upstatd.clock import FakeClock

HOUR = 1_800_000_000 - 1_800_000_000 % 3600  # a Unix second on the hour
LIMITS = "api: {rate_limit: {per_token_minute: 3, per_token_hour: 5, global_minute: 8}}"


def test_the_limiter_counts_down_the_tightest_window_and_refuses_at_the_limit():
    limiter = RateLimiter(Limits(per_token_minute=3, per_token_hour=5, global_minute=8))
    now = HOUR + 10
    assert [limiter.hit("a", now) for _ in range(3)] == [
        Status(3, 2, HOUR + 60), Status(3, 1, HOUR + 60), Status(3, 0, HOUR + 60)]
    with pytest.raises(ApiError) as refused:
        limiter.hit("a", now + 5)
    assert refused.value.status == 429 and refused.value.type == "rate_limit_error"
    assert refused.value.headers == {"Retry-After": "45", "X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0",
                                     "X-RateLimit-Reset": str(HOUR + 60)}
    assert "3 requests a minute" in refused.value.message
    # refused requests are not counted: the next minute has the hour window tightest (2 left of 5)
    assert limiter.hit("a", HOUR + 60) == Status(5, 1, HOUR + 3600)
    assert limiter.hit("a", HOUR + 61) == Status(5, 0, HOUR + 3600)
    with pytest.raises(ApiError) as refused:
        limiter.hit("a", HOUR + 62)
    assert refused.value.headers["Retry-After"] == str(3600 - 62)
    assert refused.value.headers["X-RateLimit-Limit"] == "5"
    assert "5 requests an hour" in refused.value.message
    # minute and hour both full: wait for the later one
    with pytest.raises(ApiError) as refused:
        limiter.hit("a", HOUR + 62)
    assert refused.value.headers["X-RateLimit-Reset"] == str(HOUR + 3600)
    assert limiter.hit("a", HOUR + 3600) == Status(3, 2, HOUR + 3660)


def test_the_limiter_counts_all_tokens_together():
    limiter = RateLimiter(Limits(per_token_minute=100, per_token_hour=1000, global_minute=4))
    now = HOUR
    assert limiter.peek(now) == Status(4, 4, HOUR + 60)
    for number, who in enumerate("abcd"):
        assert limiter.hit(who, now) == Status(4, 3 - number, HOUR + 60)
    assert limiter.peek(now) == Status(4, 0, HOUR + 60)
    with pytest.raises(ApiError) as refused:
        limiter.hit("e", now + 59.5)
    assert refused.value.headers["Retry-After"] == "1"  # never 0
    assert "all tokens together" in refused.value.message
    assert limiter.hit("e", now + 60) == Status(4, 3, HOUR + 120)
    # a reload replaces the limits in place
    limiter.limits = Limits(per_token_minute=100, per_token_hour=1000, global_minute=10)
    assert limiter.hit("e", now + 61) == Status(10, 8, HOUR + 120)


def test_the_limiter_forgets_windows_that_ended():
    limiter = RateLimiter(Limits())
    for number in range(1000):
        limiter.hit(f"tok_{number}", HOUR)
    assert len(limiter._counts) == 2001
    limiter.hit("tok_new", HOUR + 60)  # a new minute: the minute windows of the others go
    assert len(limiter._counts) == 1000 + 3
    limiter.hit("tok_new", HOUR + 3600)
    assert len(limiter._counts) == 3


def rate(headers) -> tuple[int, int, int]:
    return (int(headers["X-RateLimit-Limit"]), int(headers["X-RateLimit-Remaining"]),
            int(headers["X-RateLimit-Reset"]))


async def test_headers_count_down_and_429_arrives_at_the_limit(start_api):
    api = await start_api(LIMITS, clock=FakeClock(wall=HOUR + 5))
    first = await api.make_token("tokens:read")
    seen = []
    for _ in range(3):
        status, headers, _ = await api.request("GET", "/api/tokens", token=first)
        assert status == 200
        seen.append(rate(headers))
    assert seen == [(3, 2, HOUR + 60), (3, 1, HOUR + 60), (3, 0, HOUR + 60)]
    # 403 and 404 answers after authentication count too and carry the headers
    api.clock.advance(60)
    status, headers, _ = await api.request("GET", "/api/tokens/tok_missing", token=first)
    assert status == 404 and rate(headers) == (5, 1, HOUR + 3600)
    status, headers, _ = await api.request("DELETE", "/api/tokens/tok_missing", token=first)
    assert status == 403 and rate(headers) == (5, 0, HOUR + 3600)

    status, headers, body = await api.request("GET", "/api/tokens", token=first)
    assert status == 429
    assert body["error"]["type"] == "rate_limit_error" and body["error"]["code"] == "rate_limited"
    assert headers["Retry-After"] == str(3600 - 65)
    assert rate(headers) == (5, 0, HOUR + 3600)
    assert headers["Request-Id"].startswith("req_")

    # All tokens together: 8 a minute. `first` used 2 of this minute; 6 more from others fill it.
    second = await api.make_token("tokens:read")
    third = await api.make_token("tokens:read")
    fourth = await api.make_token("tokens:read")
    remaining = []
    for token in (second, second, second, third, third, third):
        status, headers, _ = await api.request("GET", "/api/tokens", token=token)
        assert status == 200
        remaining.append(int(headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0, 2, 1, 0]  # their own minute window is the tightest
    status, headers, body = await api.request("GET", "/api/tokens", token=fourth)
    assert status == 429 and "all tokens together" in body["error"]["message"]
    assert rate(headers) == (8, 0, HOUR + 120) and headers["Retry-After"] == "55"

    # Without a valid token: 401, the global window's headers, and nothing counted.
    for _ in range(3):
        status, headers, _ = await api.request("GET", "/api/tokens", token=None)
        assert status == 401 and rate(headers) == (8, 0, HOUR + 120)

    api.clock.advance(55)  # a new minute
    status, headers, _ = await api.request("GET", "/api/tokens", token=None)
    assert status == 401 and rate(headers) == (8, 8, HOUR + 180)
    status, headers, _ = await api.request("GET", "/api/tokens", token="upst_unknown")
    assert status == 401 and rate(headers) == (8, 8, HOUR + 180)
    status, headers, _ = await api.request("GET", "/api/tokens", token=fourth)
    assert status == 200 and rate(headers) == (3, 2, HOUR + 180)


async def test_headers_are_on_answers_given_before_authentication(api):
    for method, path, headers in (("GET", "/api/nothing", {}), ("PUT", "/api/tokens", {}),
                                  ("GET", "/api/tokens", {"Upstat-Version": "1999-01-01"})):
        status, answer_headers, _ = await api.request(method, path, headers=headers)
        assert status in (400, 404, 405)
        assert "X-RateLimit-Remaining" in answer_headers, (method, path)
