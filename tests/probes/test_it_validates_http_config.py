"""http prepare(): URL and http: block, exact messages, and what gets precomputed."""

import pytest

from upstatd import __version__
from upstatd.config.check import Problems
from upstatd.probes.http import HttpTarget, prepare

PATH = ("monitors", 2)


def check(url, options=None):
    problems = Problems("config.yaml")
    return prepare(url, options, PATH, problems), problems.messages()


def good(url, options=None) -> HttpTarget:
    target, messages = check(url, options)
    assert messages == []
    return target


def test_defaults_and_the_precomputed_request():
    target = good("https://Example.COM/health?full=1")
    assert (target.tls, target.host, target.port, target.method) == (True, "example.com", 443, "GET")
    assert target.expected == ((200, 299),) and target.expected_text == "2xx"
    assert (target.follow_redirects, target.max_redirects, target.verify_tls) == (True, 10, True)
    assert target.request == (
        b"GET /health?full=1 HTTP/1.1\r\n"
        b"Host: example.com\r\n"
        + f"User-Agent: upstatd/{__version__}\r\n".encode()
        + b"Accept: */*\r\n"
        b"Connection: close\r\n"
        b"\r\n")


def test_user_headers_replace_defaults_whatever_their_case_and_a_body_gets_a_length():
    target = good("http://[::1]:8080", {
        "method": "post", "body": "{\"a\": 1}",
        "headers": {"user-agent": "probe/1", "X-Token": "s3cret", "Content-Type": "application/json"}})
    assert (target.host, target.port, target.method, target.body) == ("::1", 8080, "POST", b'{"a": 1}')
    assert target.request == (
        b"POST / HTTP/1.1\r\n"
        b"Host: [::1]:8080\r\n"
        b"user-agent: probe/1\r\n"
        b"Accept: */*\r\n"
        b"Connection: close\r\n"
        b"X-Token: s3cret\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: 8\r\n"
        b"\r\n"
        b'{"a": 1}')


def test_paths_are_percent_encoded_and_default_ports_left_out_of_host():
    target = good("http://example.com:80/a b/ü?q=x y#frag")
    assert target.request.startswith(b"GET /a%20b/%C3%BC?q=x%20y HTTP/1.1\r\nHost: example.com\r\n")
    assert good("https://example.com:8443").request.startswith(b"GET / HTTP/1.1\r\nHost: example.com:8443\r\n")


@pytest.mark.parametrize("given, ranges, text", [
    (200, ((200, 200),), "200"),
    ("3XX", ((300, 399),), "3xx"),
    ("200-204", ((200, 204),), "200-204"),
    ([200, "301", "4xx", "500 - 503"], ((200, 200), (301, 301), (400, 499), (500, 503)), "200, 301, 4xx, 500-503"),
])
def test_expected_status_forms(given, ranges, text):
    target = good("http://example.com", {"expected_status": given})
    assert (target.expected, target.expected_text) == (ranges, text)


def test_targets_from_equal_input_are_equal_and_hashable():
    options = {"method": "GET", "headers": {"A": "1"}, "expected_status": ["2xx"]}
    a, b = good("http://example.com/x", options), good("http://example.com/x", dict(options))
    assert a == b and hash(a) == hash(b)
    assert a != good("http://example.com/x", {**options, "verify_tls": False})


URL_ERRORS = [
    ("ftp://example.com/", "must be an http:// or https:// URL, got 'ftp://example.com/'"),
    ("example.com/health", "must be an http:// or https:// URL, got 'example.com/health'"),
    ("http:///health", "must be http://host/path with a host, got 'http:///health'"),
    ("https://example.com:0/", "port must be 1-65535, got '0'"),
    ("https://example.com:99999/", "port must be 1-65535, got '99999'"),
    ("http://user:pw@example.com/", "must not contain credentials (user:password@): they would show in logs and status"),
    ("http://exa mple.com/", "'exa mple.com' is not a valid host name"),
    (None, "must be a string, got null"),
]


@pytest.mark.parametrize("url, message", URL_ERRORS)
def test_bad_urls(url, message):
    target, messages = check(url)
    assert target is None
    assert messages == [f"config.yaml:1: monitors[2].url: {message}"]


KNOWN = ("auth, body, ca_file, expected_status, follow_redirects, headers, ip_version, json, keyword, "
         "keyword_absent, max_redirects, max_response_time, method, proxy, regex, tls_expiry_days, verify_tls")

OPTION_ERRORS = [
    ({"methd": "GET"}, "methd", f"unknown key (did you mean 'method'? expected one of: {KNOWN})"),
    ({"method": "FETCH"}, "method", "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got 'FETCH'"),
    ({"method": 1}, "method", "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got a number"),
    ({"headers": ["X: 1"]}, "headers", "must be a mapping of names to strings, got a list"),
    ({"headers": {"Bad Name": "1"}}, "headers", "'Bad Name' is not a valid header name"),
    ({"headers": {"X-A": "1\r\nX-B: 2"}}, "headers", "the value of 'X-A' must not contain line breaks"),
    ({"headers": {"Content-Length": "5"}}, "headers", "'Content-Length' is set by upstatd from the body; remove it"),
    ({"body": 42}, "body", "must be a string, got a number"),
    ({"expected_status": 700}, "expected_status",
     "must be status codes (100-599), classes like 2xx or ranges like 200-299, got 700"),
    ({"expected_status": ["2xx", "6xx"]}, "expected_status",
     "must be status codes (100-599), classes like 2xx or ranges like 200-299, got '6xx'"),
    ({"expected_status": "300-200"}, "expected_status",
     "must be status codes (100-599), classes like 2xx or ranges like 200-299, got '300-200'"),
    ({"expected_status": [True]}, "expected_status",
     "must be status codes (100-599), classes like 2xx or ranges like 200-299, got a boolean"),
    ({"expected_status": []}, "expected_status", "must not be empty"),
    ({"follow_redirects": "yes"}, "follow_redirects", "must be true or false, got a string"),
    ({"max_redirects": 31}, "max_redirects", "must be <= 30"),
    ({"max_redirects": -1}, "max_redirects", "must be >= 0"),
    ({"verify_tls": 0}, "verify_tls", "must be true or false, got a number"),
]


@pytest.mark.parametrize("options, key, message", OPTION_ERRORS, ids=[o[1] for o in OPTION_ERRORS])
def test_bad_options(options, key, message):
    target, messages = check("http://example.com/", options)
    assert target is None
    assert messages == [f"config.yaml:1: monitors[2].http.{key}: {message}"]


def test_every_error_is_reported_each_under_its_own_key():
    target, messages = check("gopher://x", {"method": "FETCH", "max_redirects": 99, "extra": 1})
    assert target is None
    assert sorted(messages) == sorted([
        "config.yaml:1: monitors[2].url: must be an http:// or https:// URL, got 'gopher://x'",
        "config.yaml:1: monitors[2].http.method: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got 'FETCH'",
        "config.yaml:1: monitors[2].http.max_redirects: must be <= 30",
        f"config.yaml:1: monitors[2].http.extra: unknown key (expected one of: {KNOWN})",
    ])


def test_errors_carry_the_line_of_their_key():
    lines = {("monitors", 2): 10, ("monitors", 2, "url"): 11, ("monitors", 2, "http"): 12,
             ("monitors", 2, "http", "expected_status"): 14}
    problems = Problems("config.yaml", lines)
    assert prepare("http://example.com", {"expected_status": "abc"}, PATH, problems) is None
    assert problems.messages() == [
        "config.yaml:14: monitors[2].http.expected_status: must be status codes (100-599), "
        "classes like 2xx or ranges like 200-299, got 'abc'"]


def test_the_http_block_must_be_a_mapping():
    target, messages = check("http://example.com", "GET")
    assert target is None
    assert messages == ["config.yaml:1: monitors[2].http: must be a mapping, got a string"]
