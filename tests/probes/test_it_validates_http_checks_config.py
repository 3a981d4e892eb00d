"""http prepare(): auth, body assertions, ip_version, max_response_time, TLS keys; exact messages."""

import re
import socket

import pytest

from upstatd.config.check import Problems
from upstatd.probes.http import HttpTarget, prepare
from upstatd.probes.http_body import BodyChecks, JsonCheck, parse_json_path
from upstatd.probes.tls import CaFile

PATH = ("monitors", 0)
SECRETS = ("alice", "s3cr3t-pw", "tok.en-123", "hunter2")


def check(options, url="http://example.com/"):
    problems = Problems("config.yaml")
    return prepare(url, options, PATH, problems), problems.messages()


def good(options, url="http://example.com/") -> HttpTarget:
    target, messages = check(options, url)
    assert messages == []
    return target


def bad(options) -> list[str]:
    target, messages = check(options)
    assert target is None
    for message in messages:
        for secret in SECRETS:
            assert secret not in message
    return messages


# -- auth ------------------------------------------------------------------------------

def test_basic_auth_becomes_an_authorization_header():
    target = good({"auth": {"basic": {"username": "alice", "password": "s3cr3t-pw"}}})
    assert target.headers == (("Authorization", "Basic YWxpY2U6czNjcjN0LXB3"),)
    assert b"\r\nAuthorization: Basic YWxpY2U6czNjcjN0LXB3\r\n" in target.request


def test_a_password_of_digits_may_be_unquoted_and_empty_is_allowed():
    assert good({"auth": {"basic": {"username": "u", "password": 1234}}}).headers == (
        ("Authorization", "Basic dToxMjM0"),)
    assert good({"auth": {"basic": {"username": "u", "password": ""}}}).headers == (("Authorization", "Basic dTo="),)


def test_bearer_auth():
    target = good({"auth": {"bearer": "tok.en-123"}})
    assert target.headers == (("Authorization", "Bearer tok.en-123"),)


AUTH_ERRORS = [
    ({"auth": "alice:hunter2"}, "auth", "must be a mapping with basic or bearer, got a string"),
    ({"auth": {}}, "auth", "must have exactly one of basic, bearer"),
    ({"auth": {"bearer": "hunter2", "basic": {"username": "alice", "password": "x"}}}, "auth",
     "must have exactly one of basic, bearer"),
    ({"auth": {"digest": "hunter2"}}, "auth.digest", "unknown key (expected one of: basic, bearer)"),
    ({"auth": {"bearer": "hunter2 x"}}, "auth.bearer", "must be a non-empty token without spaces or line breaks"),
    ({"auth": {"bearer": ["hunter2"]}}, "auth.bearer", "must be a string, got a list"),
    ({"auth": {"basic": "alice:hunter2"}}, "auth.basic", "must be a mapping with username and password, got a string"),
    ({"auth": {"basic": {"username": "alice"}}}, "auth.basic", "missing required key 'password'"),
    ({"auth": {"basic": {"password": "hunter2"}}}, "auth.basic", "missing required key 'username'"),
    ({"auth": {"basic": {"username": "alice:x", "password": "hunter2"}}}, "auth.basic.username",
     "must be non-empty and without ':'"),
    ({"auth": {"basic": {"username": "alice", "password": "hunter2\n"}}}, "auth.basic.password",
     "must not contain control characters or line breaks"),
    ({"auth": {"basic": {"username": "alice", "password": "hunter2", "realm": "x"}}}, "auth.basic.realm",
     "unknown key (expected one of: password, username)"),
    ({"auth": {"bearer": "hunter2"}, "headers": {"authorization": "Bearer hunter2"}}, "auth",
     "conflicts with the Authorization header in headers: keep one of them"),
]


@pytest.mark.parametrize("options, key, message", AUTH_ERRORS, ids=[f"{i}-{e[1]}" for i, e in enumerate(AUTH_ERRORS)])
def test_auth_errors_never_show_the_secret(options, key, message):
    assert bad(options) == [f"config.yaml:1: monitors[0].http.{key}: {message}"]


# -- body assertions -------------------------------------------------------------------

def test_no_assertion_means_no_body_kept_and_no_compression_asked_for():
    target = good({})
    assert target.checks is None
    assert b"Accept-Encoding" not in target.request


def test_assertions_are_compiled_and_ask_for_compression():
    target = good({"keyword": "ok", "keyword_absent": "error", "regex": r"up \d+ days",
                   "json": [{"path": "$.status", "equals": "ok"}]})
    assert target.checks == BodyChecks("ok", "error", re.compile(r"up \d+ days"),
                                       (JsonCheck("$.status", ("status",), "equals", '"ok"'),))
    assert b"\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: close\r\n" in target.request


def test_the_users_accept_encoding_wins():
    target = good({"keyword": "ok", "headers": {"accept-encoding": "identity"}})
    assert b"accept-encoding: identity\r\n" in target.request and b"gzip" not in target.request


@pytest.mark.parametrize("item, expected", [
    ({"path": "$.a.b[0].c", "equals": 1}, JsonCheck("$.a.b[0].c", ("a", "b", 0, "c"), "equals", "1")),
    ({"path": "$", "equals": {"b": [1, None], "a": True}},
     JsonCheck("$", (), "equals", '{"a":true,"b":[1,null]}')),
    ({"path": "$.x", "equals": None}, JsonCheck("$.x", ("x",), "equals", "null")),
    ({"path": "$.x", "not_equals": "down"}, JsonCheck("$.x", ("x",), "not_equals", '"down"')),
    ({"path": "$.x", "exists": True}, JsonCheck("$.x", ("x",), "exists")),
    ({"path": "$.x", "exists": False}, JsonCheck("$.x", ("x",), "absent")),
])
def test_json_check_forms(item, expected):
    assert good({"json": [item]}).checks.json == (expected,)


@pytest.mark.parametrize("path, steps", [
    ("$", ()),
    ("$.status", ("status",)),
    ("$.items[-1]", ("items", -1)),
    ("$['a.b'][\"c d\"].@type", ("a.b", "c d", "@type")),
    ("$.data.user-id[10]", ("data", "user-id", 10)),
])
def test_json_paths(path, steps):
    assert parse_json_path(path) == steps


def test_targets_with_assertions_are_equal_and_hashable():
    options = {"regex": "a+", "json": [{"path": "$.a", "equals": [1, {"b": 2}]}]}
    a, b = good(options), good({"regex": "a+", "json": [{"path": "$.a", "equals": [1, {"b": 2}]}]})
    assert a == b and hash(a) == hash(b)
    assert a != good({**options, "regex": "a*"})


CHECK_ERRORS = [
    ({"keyword": ""}, "keyword", "must not be empty"),
    ({"keyword_absent": 5}, "keyword_absent", "must be a string, got a number"),
    ({"regex": "(unclosed"}, "regex", "is not a valid regular expression: missing ), unterminated subpattern at position 0"),
    ({"json": {"path": "$.a", "equals": 1}}, "json",
     'must be a list of checks like {path: "$.status", equals: "ok"}, got a mapping'),
    ({"json": []}, "json", "must not be empty"),
    ({"json": ["$.a == 1"]}, "json[0]", 'must be a mapping like {path: "$.status", equals: "ok"}, got a string'),
    ({"json": [{"equals": 1}]}, "json[0]", "missing required key 'path'"),
    ({"json": [{"path": "$.a"}]}, "json[0]", "needs exactly one of equals, not_equals, exists"),
    ({"json": [{"path": "$.a", "equals": 1, "exists": True}]}, "json[0]",
     "has equals and exists; needs exactly one of equals, not_equals, exists"),
    ({"json": [{"path": "$.a", "equal": 1}]}, "json[0].equal",
     "unknown key (expected one of: equals, exists, not_equals, path)"),
    ({"json": [{"path": "status", "equals": 1}]}, "json[0].path",
     "'status' must start with $, like $.status or $.items[0].name"),
    ({"json": [{"path": "$.a..b", "equals": 1}]}, "json[0].path",
     "'$.a..b' is not a valid path at character 4: steps are .name, [0] or [\"name\"]"),
    ({"json": [{"path": "$.a[x]", "equals": 1}]}, "json[0].path",
     "'$.a[x]' is not a valid path at character 4: steps are .name, [0] or [\"name\"]"),
    ({"json": [{"path": 1, "equals": 1}]}, "json[0].path", "must be a string, got a number"),
    ({"json": [{"path": "$.a", "exists": "yes"}]}, "json[0].exists", "must be true or false, got a string"),
    ({"json": [{"path": "$.a", "equals": float("inf")}]}, "json[0].equals", "must be a finite number, got inf"),
    ({"json": [{"path": "$.a", "equals": {1: "x"}}]}, "json[0].equals", "mapping keys must be strings (JSON), got a number"),
    ({"json": [{"path": "$.a", "equals": 1}, {"path": "$.b", "not_equals": [__import__("datetime").date(2026, 1, 1)]}]},
     "json[1].not_equals",
     "must be a JSON value (string, number, true/false, null, list, mapping), got a date; quote it to compare as a string"),
    ({"keyword": "ok", "method": "HEAD"}, "method", "a HEAD answer has no body to check keyword against: use GET"),
]


@pytest.mark.parametrize("options, key, message", CHECK_ERRORS, ids=[f"{i}-{e[1]}" for i, e in enumerate(CHECK_ERRORS)])
def test_assertion_errors(options, key, message):
    assert bad(options) == [f"config.yaml:1: monitors[0].http.{key}: {message}"]


def test_errors_inside_json_carry_the_line_of_their_item():
    lines = {("monitors", 0, "http", "json"): 20, ("monitors", 0, "http", "json", 1): 22,
             ("monitors", 0, "http", "json", 1, "path"): 23}
    problems = Problems("config.yaml", lines)
    prepare("http://example.com", {"json": [{"path": "$.a", "exists": True}, {"path": "a", "exists": True}]},
            PATH, problems)
    assert problems.messages() == [
        "config.yaml:23: monitors[0].http.json[1].path: 'a' must start with $, like $.status or $.items[0].name"]


# -- ip_version, max_response_time, TLS ----------------------------------------------------

def test_ip_version_and_max_response_time():
    target = good({"ip_version": 6, "max_response_time": "500ms"})
    assert (target.family, target.max_response_time) == (socket.AF_INET6, 0.5)
    assert (good({}).family, good({}).max_response_time) == (0, None)


def test_tls_keys(cert):
    target = good({"ca_file": str(cert[0]), "tls_expiry_days": 0}, url="https://example.com/")
    assert (target.ca_file, target.tls_expiry_days) == (CaFile(str(cert[0]), cert[0].stat().st_mtime_ns), 0)
    assert good({}).tls_expiry_days == 14


OTHER_ERRORS = [
    ({"ip_version": "v6"}, "ip_version", "must be auto, 4 or 6, got 'v6'"),
    ({"max_response_time": "0s"}, "max_response_time", "must be >= 1ms"),
    ({"max_response_time": "fast"}, "max_response_time", "must be a duration like 30s, 5m or 1h30m, got 'fast'"),
    ({"tls_expiry_days": 4000}, "tls_expiry_days", "must be <= 3650"),
    ({"ca_file": "ca.pem"}, "ca_file", "must be an absolute path, got 'ca.pem'"),
]


@pytest.mark.parametrize("options, key, message", OTHER_ERRORS, ids=[e[1] for e in OTHER_ERRORS])
def test_other_errors(options, key, message):
    assert bad(options) == [f"config.yaml:1: monitors[0].http.{key}: {message}"]
