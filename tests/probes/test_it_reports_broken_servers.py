"""Refused, garbage, cut short: each a classified failure with a clear message."""

from loopback import EARLY_CLOSE, GARBAGE, closed_port, hang_up, respond
from upstatd.probes import run_probe

CUT_SHORT = "connection closed before the response was complete"


async def test_a_closed_port_is_a_connection_error(http_target):
    port = closed_port()
    result = await run_probe("http", http_target(f"http://127.0.0.1:{port}/"), 2)
    assert (result.ok, result.error_kind) == (False, "connection_error")
    assert result.error_message == f"connection refused by 127.0.0.1:{port}"
    assert result.status_code is None
    assert "first_byte" not in result.phases


async def test_garbage_is_an_invalid_response(raw_server, http_target):
    server = await raw_server(respond(GARBAGE))
    result = await run_probe("http", http_target(server.url("/")), 2)
    assert result.error_kind == "invalid_response"
    assert result.error_message == "malformed HTTP response: Expected HTTP/, RTSP/ or ICE/"


async def test_a_bad_status_line_is_an_invalid_response(raw_server, http_target):
    server = await raw_server(respond(b"HTTP/1.1 abc OK\r\n\r\n"))
    result = await run_probe("http", http_target(server.url("/")), 2)
    assert (result.error_kind, result.error_message) == (
        "invalid_response", "malformed HTTP response: Invalid status code")


async def test_a_body_cut_short_is_a_connection_error(raw_server, http_target):
    server = await raw_server(respond(EARLY_CLOSE))
    result = await run_probe("http", http_target(server.url("/")), 2)
    assert (result.error_kind, result.error_message) == ("connection_error", CUT_SHORT)
    assert "transfer" in result.phases  # the headers had arrived


async def test_a_close_without_any_answer_is_a_connection_error(raw_server, http_target):
    server = await raw_server(hang_up)
    result = await run_probe("http", http_target(server.url("/")), 2)
    assert (result.error_kind, result.error_message) == ("connection_error", CUT_SHORT)
    assert "transfer" not in result.phases


async def test_headers_cut_short_are_a_connection_error(raw_server, http_target):
    server = await raw_server(respond(b"HTTP/1.1 200 OK\r\nContent-Le"))
    result = await run_probe("http", http_target(server.url("/")), 2)
    assert (result.error_kind, result.error_message) == ("connection_error", CUT_SHORT)
