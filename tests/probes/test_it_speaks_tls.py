"""HTTPS against a loopback server with a self-signed certificate made at test time."""

from urllib.parse import quote

from loopback import OK_RESPONSE, blurt, hang_up
from upstatd.probes import run_probe


async def test_without_verification_it_connects_and_times_tls(tls_web, http_target):
    result = await run_probe("http", http_target(tls_web.url("/ok"), verify_tls=False), 2)
    assert (result.ok, result.status_code, result.error_kind) == (True, 200, None)
    assert set(result.phases) == {"resolve", "connect", "tls", "first_byte", "transfer"}
    assert result.phases["tls"] > 0


async def test_with_verification_a_self_signed_certificate_is_an_ssl_error(tls_web, http_target):
    result = await run_probe("http", http_target(tls_web.url("/ok")), 2)
    assert (result.ok, result.error_kind) == (False, "ssl_error")
    assert result.error_message == "certificate verify failed: self-signed certificate"
    assert tls_web.seen == []


async def test_a_redirect_from_http_to_https(web, tls_web, http_target):
    url = web.url(f"/redirect-to?url={quote(tls_web.url('/echo'), safe='')}")
    result = await run_probe("http", http_target(url, verify_tls=False), 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert [s.path for s in tls_web.seen] == ["/echo"]
    assert dict(tls_web.seen[0].headers)["Host"] == f"127.0.0.1:{tls_web.port}"
    assert "tls" in result.phases


async def test_a_plain_http_answer_to_the_hello_is_an_ssl_error(raw_server, http_target):
    server = await raw_server(blurt(OK_RESPONSE))
    result = await run_probe("http", http_target(server.url("/", scheme="https"), verify_tls=False), 2)
    assert (result.error_kind, result.error_message) == ("ssl_error", "TLS handshake failed: wrong version number")
    await server.peer_closes()


async def test_a_close_during_the_handshake_is_a_connection_error(raw_server, http_target):
    server = await raw_server(hang_up)
    result = await run_probe("http", http_target(server.url("/", scheme="https"), verify_tls=False), 2)
    assert (result.error_kind, result.error_message) == (
        "connection_error", "connection closed during the TLS handshake")
