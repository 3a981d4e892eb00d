"""Redirects: followed, bounded, loop-checked, method rules, and across origins."""

from urllib.parse import quote

import pytest

from upstatd.probes import run_probe


async def test_a_relative_redirect_is_followed(web, http_target):
    result = await run_probe("http", http_target(web.url("/redirect")), 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert [s.path for s in web.seen] == ["/redirect", "/ok"]
    assert "transfer" in result.phases


async def test_a_chain_within_the_limit_is_followed(web, http_target):
    result = await run_probe("http", http_target(web.url("/chain/3"), max_redirects=3), 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert [s.path for s in web.seen] == ["/chain/3", "/chain/2", "/chain/1", "/chain/0"]


@pytest.mark.parametrize("limit, message", [(3, "more than 3 redirects"), (1, "more than 1 redirect"),
                                            (0, "more than 0 redirects")])
async def test_a_chain_beyond_the_limit_is_an_invalid_response(web, http_target, limit, message):
    result = await run_probe("http", http_target(web.url("/chain/5"), max_redirects=limit), 2)
    assert (result.ok, result.error_kind, result.error_message) == (False, "invalid_response", message)
    assert len(web.seen) == limit + 1


async def test_a_loop_is_an_invalid_response(web, http_target):
    result = await run_probe("http", http_target(web.url("/loop1")), 2)
    assert (result.error_kind, result.error_message) == ("invalid_response", f"redirect loop at {web.url('/loop1')}")
    assert [s.path for s in web.seen] == ["/loop1", "/loop2"]


async def test_without_follow_the_3xx_itself_is_checked(web, http_target):
    result = await run_probe("http", http_target(web.url("/redirect"), follow_redirects=False), 2)
    assert (result.error_kind, result.status_code, result.error_message) == (
        "status_code", 302, "status 302, expected 2xx")
    target = http_target(web.url("/redirect"), follow_redirects=False, expected_status="3xx")
    result = await run_probe("http", target, 2)
    assert (result.ok, result.status_code) == (True, 302)
    assert [s.path for s in web.seen] == ["/redirect", "/redirect"]


def redirect_to(server, url: str, code: int = 302) -> str:
    return server.url(f"/redirect-to?code={code}&url={quote(url, safe='')}")


@pytest.mark.parametrize("code, method, body", [(303, "GET", b""), (302, "GET", b""), (301, "GET", b""),
                                                (307, "POST", b"payload"), (308, "POST", b"payload")])
async def test_post_redirects_switch_to_get_only_where_http_says_so(web, http_target, code, method, body):
    target = http_target(redirect_to(web, "/echo", code), method="POST", body="payload",
                         headers={"Content-Type": "text/plain"})
    result = await run_probe("http", target, 2)
    assert (result.ok, result.status_code) == (True, 200)
    first, second = web.seen
    assert (first.method, first.body) == ("POST", b"payload")
    assert (second.method, second.path, second.body) == (method, "/echo", body)
    assert ("Content-Type" in dict(second.headers)) == (method == "POST")


async def test_post_redirect_get_to_the_same_url_is_not_a_loop(web, http_target):
    result = await run_probe("http", http_target(web.url("/form"), method="POST", body="x"), 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert [(s.method, s.path) for s in web.seen] == [("POST", "/form"), ("GET", "/form")]


async def test_a_redirect_to_another_origin_gets_its_own_request(web, other_web, http_target):
    target = http_target(redirect_to(web, other_web.url("/echo?from=a")),
                         headers={"Authorization": "Bearer t", "X-Trace": "1"})
    result = await run_probe("http", target, 2)
    assert (result.ok, result.status_code) == (True, 200)
    [first], [second] = web.seen, other_web.seen
    assert dict(first.headers)["Authorization"] == "Bearer t"
    headers = dict(second.headers)
    assert (second.path, headers["Host"], headers["X-Trace"]) == ("/echo?from=a", f"127.0.0.1:{other_web.port}", "1")
    assert "Authorization" not in headers  # credentials stay with their origin


async def test_a_redirect_to_an_unusable_url_is_an_invalid_response(web, http_target):
    result = await run_probe("http", http_target(redirect_to(web, "ftp://files.example/x")), 2)
    assert (result.error_kind, result.error_message) == (
        "invalid_response", "status 302 redirects to an unusable URL 'ftp://files.example/x'")
