"""A body or query that msgspec cannot decode is answered in the API's own
words, on every route: a malformed request (broken JSON, a value of the wrong
type, an unknown parameter) is a 400, a well-formed value outside its declared
bounds a 422; both name the param and say what is wanted, in the API's units,
never in msgspec's phrasing."""

from __future__ import annotations

import pytest

from loopback import closed_port

JSON = {"Content-Type": "application/json"}
MSGSPEC = ("expected `", "object missing", "object contains", "`$", "`", "got `")
HTTP = {"type": "http", "url": "https://example.com/"}

# method, path ({monitor} and the like are filled in), body (dict, or bytes sent as is), status, param, words
BODIES = [
    ("POST", "/api/monitors", {**HTTP, "interval_seconds": "30s"}, 400, "interval_seconds",
     "interval_seconds must be a number of seconds, got a string"),
    ("POST", "/api/monitors", {**HTTP, "confirmation": {"failures": "3"}}, 400, "confirmation.failures",
     "confirmation.failures must be an integer, got a string"),
    ("POST", "/api/monitors", {**HTTP, "confirmation": {"tries": 1}}, 400, "confirmation.tries",
     "confirmation.tries is not a known parameter (the parameters of confirmation are: failures, successes, "
     "recheck_seconds)"),
    ("POST", "/api/monitors", {**HTTP, "confirmation": 3}, 400, "confirmation",
     "confirmation must be an object, got an integer"),
    ("POST", "/api/monitors", {**HTTP, "type": 5}, 400, "type", "type must be one of: http, tcp, "),
    ("POST", "/api/monitors", {**HTTP, "tags": "eu"}, 400, "tags", "tags must be a list of strings, got a string"),
    ("POST", "/api/monitors", {**HTTP, "tags": ["eu", 1]}, 400, "tags.1", "tags.1 must be a string, got an integer"),
    ("POST", "/api/monitors", {**HTTP, "http": []}, 400, "http", "http must be an object, got a list"),
    ("POST", "/api/monitors", {**HTTP, "colour": "red"}, 400, "colour", "colour is not a known parameter"),
    ("POST", "/api/monitors", {"url": "https://example.com/"}, 400, "type", "missing required field 'type'"),
    ("PATCH", "/api/monitors/{monitor}", {"timeout_seconds": True}, 400, "timeout_seconds",
     "timeout_seconds must be a number of seconds, got true"),
    ("POST", "/api/monitors/{monitor}/pause", {"resume_at": "soon"}, 400, "resume_at",
     "resume_at must be a Unix time in seconds (an integer) or null, got a string"),
    ("POST", "/api/monitors/{monitor}/resume", {"at": 1}, 400, "at", "at is not a known parameter"),
    ("POST", "/api/heartbeats", {"period_seconds": "1h"}, 400, "period_seconds",
     "period_seconds must be a number of seconds or null, got a string"),
    ("POST", "/api/heartbeats", {"period_seconds": 60, "manual_resume": "yes"}, 400, "manual_resume",
     "manual_resume must be true or false, got a string"),
    ("POST", "/api/heartbeats", {"period_seconds": 60, "methods": 1}, 400, "methods",
     "methods must be one of: any, post; got an integer"),
    ("PATCH", "/api/heartbeats/{heartbeat}", {"severity": 3}, 400, "severity",
     "severity must be one of: critical, major, minor, warning; got an integer"),
    ("POST", "/api/incidents", {"title": 5}, 400, "title", "title must be a string, got an integer"),
    ("POST", "/api/incidents", {"title": "t", "affected_monitor_ids": "mon_x"}, 400, "affected_monitor_ids",
     "affected_monitor_ids must be a list of strings, got a string"),
    ("POST", "/api/incidents/{incident}/updates", {"message": None}, 400, "message",
     "message must be a string, got null"),
    ("PUT", "/api/incidents/{incident}/status", {"status": 1}, 400, "status", "status must be one of: open, "),
    ("POST", "/api/webhook-endpoints", {"url": "https://x.example", "events": "*"}, 400, "events",
     "events must be a list of strings, got a string"),
    ("POST", "/api/webhook-endpoints", {"url": "https://x.example", "events": ["*"], "enabled": "yes"}, 400,
     "enabled", "enabled must be true or false, got a string"),
    ("PATCH", "/api/webhook-endpoints/{webhook}", {"description": 5}, 400, "description",
     "description must be a string or null, got an integer"),
    ("POST", "/api/tokens", {"name": "a", "permissions": []}, 400, "permissions",
     "permissions must be an object, got a list"),
    ("PATCH", "/api/tokens/{token}", {"metadata": []}, 400, "metadata", "metadata must be an object, got a list"),
    ("POST", "/api/tokens", b"[1]", 400, None, "the body must be a JSON object, got a list"),
    ("POST", "/api/tokens", b'{"name": "a",', 400, None, "the body is not valid JSON: it ends before"),
    ("POST", "/api/tokens", b'{"name": 1} x', 400, None, "the body is not valid JSON: trailing characters at byte"),
    # well-formed, but outside the Struct's msgspec.Meta bounds: 422
    ("POST", "/api/tokens", {"name": "", "permissions": {"monitors": ["read"]}}, 422, "name",
     "name must be 1-100 characters long, got 0 characters"),
    ("PATCH", "/api/tokens/{token}", {"name": "n" * 101}, 422, "name",
     "name must be 1-100 characters long, got 101 characters"),
    ("POST", "/api/webhook-endpoints", {"url": "https://x.example", "events": ["*"], "description": "d" * 1001},
     422, "description", "description must be at most 1000 characters long, got 1001 characters"),
    ("POST", "/api/incidents", {"title": ""}, 422, "title", "title must be 1-200 characters long"),
    ("POST", "/api/incidents/{incident}/updates", {"message": ""}, 422, "message",
     "message must be 1-5000 characters long"),
]

# method, path with its query, status, param, words
QUERIES = [
    ("GET", "/api/monitors?limit=abc", 400, "limit", "limit must be an integer, got 'abc'"),
    ("GET", "/api/monitors?limit=0", 422, "limit", "limit must be between 1 and 100, got '0'"),
    ("GET", "/api/heartbeats?limit=101", 422, "limit", "limit must be between 1 and 100, got '101'"),
    ("GET", "/api/heartbeats/{heartbeat}/pings?limit=1&limit=2", 400, "limit", "limit was given 2 times"),
    ("GET", "/api/monitors/{monitor}/checks?ok=maybe", 400, "ok", "ok must be true or false, got 'maybe'"),
    ("GET", "/api/events?created_gte=yesterday", 400, "created_gte",
     "created_gte must be a Unix time in seconds (an integer), got 'yesterday'"),
    ("GET", "/api/incidents?since=-1", 422, "since", "since must be between 0 and 253402300799 (Unix seconds)"),
    ("GET", "/api/monitors/{monitor}/incidents?from=x", 400, "from",
     "from must be a Unix time in seconds (an integer), got 'x'"),
    ("GET", "/api/tokens?revoked=maybe", 400, "revoked", "revoked must be true or false, got 'maybe'"),
    ("GET", "/api/tokens?starting_after=", 422, "starting_after", "starting_after must be a non-empty string"),
    ("GET", "/api/webhook-endpoints?enabled=2", 400, "enabled", "enabled must be true or false, got '2'"),
    ("GET", "/api/webhook-endpoints/{webhook}/deliveries?ok=x", 400, "ok", "ok must be true or false, got 'x'"),
    ("GET", "/api/incidents/{incident}/updates?limit=1.5", 400, "limit", "limit must be an integer, got '1.5'"),
]


@pytest.fixture
async def objects(api) -> dict[str, str]:
    """One object of each kind, for the routes under /{id}."""
    made = {}
    for name, path, body in (
            ("monitor", "/api/monitors", {"type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}"}),
            ("heartbeat", "/api/heartbeats", {"name": "job", "period_seconds": 3600}),
            ("incident", "/api/incidents", {"title": "by hand"}),
            ("webhook", "/api/webhook-endpoints", {"url": "https://hooks.example/x", "events": ["*"],
                                                   "enabled": False}),
            ("token", "/api/tokens", {"name": "ci", "permissions": {"monitors": ["read"]}})):
        status, _, answer = await api.request("POST", path, json=body)
        assert status == 201, answer
        made[name] = answer["id"]
    return made


def check(status, answer, expected_status, param, words) -> None:
    assert status == expected_status, answer
    error = answer["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param), error
    assert words in error["message"], error["message"]
    assert not any(phrase in error["message"].lower() for phrase in MSGSPEC), error["message"]


@pytest.mark.parametrize("method, path, body, status, param, words", BODIES,
                         ids=[f"{case[0]} {case[1]} {case[4]} {case[3]}" for case in BODIES])
async def test_a_bad_body_is_answered_in_the_apis_words(api, objects, method, path, body, status, param, words):
    options = {"data": body, "headers": JSON} if isinstance(body, bytes) else {"json": body}
    answer_status, _, answer = await api.request(method, path.format(**objects), **options)
    check(answer_status, answer, status, param, words)


@pytest.mark.parametrize("method, path, status, param, words", QUERIES,
                         ids=[f"{case[0]} {case[1]} {case[2]}" for case in QUERIES])
async def test_a_bad_query_is_answered_in_the_apis_words(api, objects, method, path, status, param, words):
    answer_status, _, answer = await api.request(method, path.format(**objects))
    check(answer_status, answer, status, param, words)
