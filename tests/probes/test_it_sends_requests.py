"""The exact bytes a server receives, for GET, POST with a body and HEAD."""

from loopback import OK_RESPONSE, respond
from upstatd import __version__
from upstatd.probes import run_probe

UA = f"User-Agent: upstatd/{__version__}\r\n".encode()


async def test_a_plain_get(raw_server, http_target):
    server = await raw_server(respond(OK_RESPONSE))
    result = await run_probe("http", http_target(server.url("/health?deep=1")), 2)
    assert result.ok, result
    assert server.requests == [
        b"GET /health?deep=1 HTTP/1.1\r\n"
        + f"Host: 127.0.0.1:{server.port}\r\n".encode() + UA
        + b"Accept: */*\r\nConnection: close\r\n\r\n"]


async def test_a_post_with_body_and_headers(raw_server, http_target):
    server = await raw_server(respond(OK_RESPONSE))
    target = http_target(server.url("/hook"), method="POST", body='{"ping": true}',
                         headers={"X-Api-Key": "k1", "Content-Type": "application/json", "accept": "application/json"})
    result = await run_probe("http", target, 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert server.requests == [
        b"POST /hook HTTP/1.1\r\n"
        + f"Host: 127.0.0.1:{server.port}\r\n".encode() + UA
        + b"accept: application/json\r\nConnection: close\r\n"
        b"X-Api-Key: k1\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n"
        b'{"ping": true}']


async def test_a_host_header_override_is_sent(raw_server, http_target):
    server = await raw_server(respond(OK_RESPONSE))
    result = await run_probe("http", http_target(server.url("/"), headers={"Host": "app.internal"}), 2)
    assert result.ok, result
    [request] = server.requests
    assert request.startswith(b"GET / HTTP/1.1\r\nHost: app.internal\r\n" + UA)


async def test_delete_without_a_body_has_no_length(raw_server, http_target):
    server = await raw_server(respond(OK_RESPONSE))
    result = await run_probe("http", http_target(server.url("/x"), method="DELETE"), 2)
    assert result.ok, result
    [request] = server.requests
    assert request.startswith(b"DELETE /x HTTP/1.1\r\n") and b"Content-Length" not in request
