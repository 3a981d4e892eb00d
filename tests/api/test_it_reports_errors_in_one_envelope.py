"""Every failure, whatever stage of a request it happens at, is the same envelope
{"error": {type, code, message, param, request_id}} with the status of DESIGN.md,
a message that says what to fix, the param at fault, and the usual headers."""

from __future__ import annotations

import re

import aiohttp
import pytest

from upstatd import API_VERSIONS as VERSIONS
from upstatd.store import tokens as token_store

GOOD = {"name": "ci", "permissions": {"monitors": ["read"]}}
JSON = {"Content-Type": "application/json"}

# method, path, request options, status, type, code, param, words in the message
CASES = [
    ("GET", "/api/nothing", {}, 404, "invalid_request_error", "route_missing", None, "no such route: get /api/nothing"),
    ("GET", "/api", {}, 404, "invalid_request_error", "route_missing", None, "no such route"),
    ("PUT", "/api/tokens", {}, 405, "invalid_request_error", "method_not_allowed", None, "allowed: get, post"),
    ("POST", "/api/tokens", {"data": b'{"name": "ci",', "headers": JSON}, 400, "invalid_request_error",
     "body_invalid_json", None, "not valid json"),
    ("POST", "/api/tokens", {"data": b"name=ci", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
     400, "invalid_request_error", "content_type_invalid", "Content-Type",
     "application/json, not application/x-www-form-urlencoded"),
    ("POST", "/api/tokens", {"data": b'{"name": "ci"}', "headers": {"Content-Type": "text/plain"}},
     400, "invalid_request_error", "content_type_invalid", "Content-Type", "not text/plain"),
    ("POST", "/api/tokens", {"data": b"[1, 2]", "headers": JSON}, 400, "invalid_request_error",
     "parameter_invalid", None, "the body must be a json object, got a list"),
    ("POST", "/api/tokens", {"json": {"name": "ci"}}, 400, "invalid_request_error", "parameter_invalid",
     "permissions", "missing required field 'permissions'"),
    ("POST", "/api/tokens", {"json": {**GOOD, "colour": "red"}}, 400, "invalid_request_error",
     "parameter_invalid", "colour", "colour is not a known parameter"),
    ("POST", "/api/tokens", {"json": {**GOOD, "expires_at": "soon"}}, 400, "invalid_request_error",
     "parameter_invalid", "expires_at", "expires_at must be a unix time in seconds (an integer) or null"),
    ("POST", "/api/tokens", {"data": b"x" * (2 * 1024 * 1024), "headers": JSON}, 413, "invalid_request_error",
     "body_too_large", None, "larger than the limit of 1024 kib"),
    ("GET", "/api/tokens?limit=0", {}, 422, "invalid_request_error", "parameter_invalid", "limit",
     "limit must be between 1 and 100, got '0'"),
    ("GET", "/api/tokens?limit=101", {}, 422, "invalid_request_error", "parameter_invalid", "limit",
     "limit must be between 1 and 100, got '101'"),
    ("GET", "/api/tokens?limit=abc", {}, 400, "invalid_request_error", "parameter_invalid", "limit",
     "limit must be an integer, got 'abc'"),
    ("GET", "/api/tokens?limit=1&limit=2", {}, 400, "invalid_request_error", "parameter_invalid", "limit",
     "limit was given 2 times"),
    ("GET", "/api/tokens?starting_after=tok_a&ending_before=tok_b", {}, 400, "invalid_request_error",
     "parameter_invalid", "ending_before", "starting_after or ending_before, not both"),
    ("GET", "/api/tokens?starting_after=tok_nope", {}, 400, "invalid_request_error", "parameter_invalid",
     "starting_after", "no object with id 'tok_nope'"),
    ("GET", "/api/tokens?starting_after=", {}, 422, "invalid_request_error", "parameter_invalid",
     "starting_after", "starting_after must be a non-empty string, got ''"),
    ("GET", "/api/tokens", {"headers": {"Upstat-Version": "1999-01-01"}}, 400, "invalid_request_error",
     "version_invalid", "Upstat-Version", f"supported: {', '.join(VERSIONS)}"),
    ("GET", "/api/tokens", {"token": None}, 401, "authentication_error", "unauthenticated", None,
     "authorization: bearer"),
    ("GET", "/api/tokens", {"token": "upst_nope"}, 401, "authentication_error", "unauthenticated", None,
     "not valid"),
    ("GET", "/api/tokens/tok_0000000000000000000000", {}, 404, "invalid_request_error", "resource_missing", "id",
     "no token with id"),
    ("POST", "/api/tokens", {"json": GOOD, "headers": {"Idempotency-Key": "k" * 256}}, 400,
     "invalid_request_error", "parameter_invalid", "Idempotency-Key", "at most 255 characters, got 256"),
]


def check_envelope(status, headers, body, expected_status) -> dict:
    assert status == expected_status, body
    assert headers["Content-Type"].startswith("application/json")
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"type", "code", "message", "param", "request_id"}
    assert error["request_id"] == headers["Request-Id"] and re.fullmatch(r"req_\w+", error["request_id"])
    assert headers["Upstat-Version"] in VERSIONS
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers)
    assert headers["Cache-Control"] == "no-store"
    return error


@pytest.mark.parametrize("method, path, options, status, type_, code, param, words", CASES,
                         ids=[f"{case[0]} {case[1][:50]} {case[3]} {case[5]}" for case in CASES])
async def test_every_failure_is_the_envelope(api, method, path, options, status, type_, code, param, words):
    answer_status, headers, body = await api.request(method, path, **options)
    error = check_envelope(answer_status, headers, body, status)
    assert (error["type"], error["code"], error["param"]) == (type_, code, param), error
    assert words in error["message"].lower(), error["message"]
    if status == 405:
        assert headers["Allow"] == "GET, POST"
    if status == 401:
        assert headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_missing_permission_is_a_403_naming_it(api):
    reader = await api.make_token("monitors:read")
    status, headers, body = await api.request("POST", "/api/tokens", token=reader, json=GOOD)
    error = check_envelope(status, headers, body, 403)
    assert (error["type"], error["code"]) == ("permission_error", "missing_permission")
    assert "tokens:create" in error["message"]


async def test_a_full_rate_limit_window_is_a_429(start_api):
    api = await start_api("api: {rate_limit: {per_token_minute: 1}}")
    assert (await api.request("GET", "/api/tokens"))[0] == 200
    status, headers, body = await api.request("GET", "/api/tokens")
    error = check_envelope(status, headers, body, 429)
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limited")
    assert int(headers["Retry-After"]) >= 1


async def test_a_bug_is_a_500_that_quotes_the_request_id_and_keeps_details_in_the_log(api, monkeypatch, capsys):
    def broken(conn, token_id):
        raise RuntimeError("disk on fire: secret detail")

    monkeypatch.setattr(token_store, "get", broken)
    status, headers, body = await api.request("GET", "/api/tokens/tok_0000000000000000000000")
    error = check_envelope(status, headers, body, 500)
    assert (error["type"], error["code"], error["param"]) == ("api_error", "internal_error", None)
    assert headers["Request-Id"] in error["message"]
    assert "disk on fire" not in error["message"]
    logged = capsys.readouterr()
    assert "disk on fire" in logged.out + logged.err and headers["Request-Id"] in logged.out + logged.err


async def test_a_big_body_is_refused_on_any_route_that_reads_one(api):
    _, _, made = await api.request("POST", "/api/tokens", json=GOOD)
    big = b'{"name": "' + b"x" * (1024 * 1024 + 1) + b'"}'
    status, headers, body = await api.request("PATCH", f"/api/tokens/{made['id']}", data=big, headers=JSON)
    assert check_envelope(status, headers, body, 413)["code"] == "body_too_large"
    just_under = b'{"metadata": {"k": "' + b"v" * 400 + b'"}}' + b" " * (1024 * 1024 - 500)
    status, _, body = await api.request("PATCH", f"/api/tokens/{made['id']}", data=just_under, headers=JSON)
    assert status == 200, body


async def test_non_api_paths_keep_their_own_answers(api):
    async with aiohttp.ClientSession() as session:
        async with session.get(api.url + "/healthz") as response:
            assert response.status == 200 and "Request-Id" not in response.headers
        async with session.get(api.url + "/nothing") as response:
            assert response.status == 404 and "Request-Id" not in response.headers
