"""A healthy HTTP server: ok results, every phase timed, any body framing."""

from loopback import CLOSE_DELIMITED, respond
from upstatd import __version__
from upstatd.probes import run_probe


async def test_200_is_ok_with_every_phase_timed(web, http_target):
    result = await run_probe("http", http_target(web.url("/ok")), 2)
    assert (result.ok, result.status_code, result.error_kind, result.error_message) == (True, 200, None, None)
    assert set(result.phases) == {"resolve", "connect", "first_byte", "transfer"}
    assert all(ms >= 0 for ms in result.phases.values())
    assert sum(result.phases.values()) <= result.latency_ms + 0.01
    [seen] = web.seen
    headers = dict(seen.headers)
    assert (seen.method, seen.path) == ("GET", "/ok")
    assert headers["Host"] == f"127.0.0.1:{web.port}"
    assert headers["User-Agent"] == f"upstatd/{__version__}"
    assert headers["Connection"] == "close"


async def test_a_chunked_body_is_read_to_its_end(web, http_target):
    result = await run_probe("http", http_target(web.url("/chunked")), 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert "transfer" in result.phases


async def test_a_body_ended_by_the_close_is_complete(raw_server, http_target):
    server = await raw_server(respond(CLOSE_DELIMITED))
    result = await run_probe("http", http_target(server.url("/")), 2)
    assert (result.ok, result.status_code, result.error_message) == (True, 200, None)


async def test_head_does_not_wait_for_the_announced_body(web, http_target):
    # aiohttp answers HEAD /echo with the Content-Length a GET would have, and no body
    result = await run_probe("http", http_target(web.url("/echo"), method="HEAD"), 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert [s.method for s in web.seen] == ["HEAD"]


async def test_204_has_no_body_to_wait_for(web, http_target):
    result = await run_probe("http", http_target(web.url("/status/204"), expected_status=204), 2)
    assert (result.ok, result.status_code) == (True, 204)


async def test_an_interim_1xx_is_skipped_for_the_final_answer(raw_server, http_target):
    server = await raw_server(respond(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown"))
    result = await run_probe("http", http_target(server.url("/")), 2)
    assert (result.ok, result.status_code, result.error_message) == (False, 503, "status 503, expected 2xx")
