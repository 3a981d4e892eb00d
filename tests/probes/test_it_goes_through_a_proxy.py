"""http.proxy: plain http in absolute form, https through CONNECT with the target's TLS
inside the tunnel, the proxy's credentials, redirects through the same proxy. The proxy
(tests/proxy_server.py) and the origins are real loopback servers; the proxy records
what it was asked."""

import shutil
from urllib.parse import quote

import pytest

from loopback import make_test_pki, server_tls_context, start_web
from upstatd.probes import run_probe

CREDENTIALS = "Basic YW5hOnMzY3JldA=="  # ana:s3cret


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is needed to make test certificates")
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def tls_origin(pki):
    server = await start_web(ssl_context=server_tls_context(*pki.valid))
    yield server
    await server.close()


async def test_a_plain_http_request_goes_to_the_proxy_in_absolute_form(web, proxy, http_target):
    via = await proxy()
    result = await run_probe("http", http_target(web.url("/ok"), proxy=via.url()), 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert [(p.method, p.target, p.answer) for p in via.seen] == [("GET", web.url("/ok"), 200)]
    assert [s.path for s in web.seen] == ["/ok"]
    assert dict(web.seen[0].headers)["Host"] == f"127.0.0.1:{web.port}"
    assert set(result.phases) == {"resolve", "connect", "first_byte", "transfer"}


async def test_an_https_request_is_tunnelled_and_verified_against_the_target(tls_origin, proxy, pki, http_target):
    via = await proxy()
    url = f"https://localhost:{tls_origin.port}/ok"  # the certificate is for localhost: SNI and check use it
    result = await run_probe("http", http_target(url, proxy=via.url(), ca_file=str(pki.ca)), 2)
    assert (result.ok, result.status_code, result.error_message) == (True, 200, None)
    assert [(p.method, p.target, p.headers["host"]) for p in via.seen] == [
        ("CONNECT", f"localhost:{tls_origin.port}", f"localhost:{tls_origin.port}")]
    assert [s.path for s in tls_origin.seen] == ["/ok"]
    assert set(result.phases) == {"resolve", "connect", "tls", "first_byte", "transfer"}
    assert result.details["cert_expires_in_days"] > 29


async def test_the_target_certificate_is_checked_inside_the_tunnel(pki, proxy, http_target):
    origin = await start_web(ssl_context=server_tls_context(*pki.wrong_host))
    try:
        via = await proxy()
        url = f"https://localhost:{origin.port}/ok"
        result = await run_probe("http", http_target(url, proxy=via.url(), ca_file=str(pki.ca)), 2)
        assert (result.error_kind, result.error_message) == (
            "ssl_error", "certificate verify failed: hostname mismatch, certificate is not valid for 'localhost'")
        assert [p.method for p in via.seen] == ["CONNECT"] and origin.seen == []
    finally:
        await origin.close()


async def test_the_credentials_go_to_the_proxy_and_no_further(web, tls_origin, proxy, pki, http_target):
    via = await proxy(credentials=CREDENTIALS)
    for url, options in ((web.url("/echo"), {}), (f"https://localhost:{tls_origin.port}/echo", {"ca_file": str(pki.ca)})):
        result = await run_probe("http", http_target(url, proxy=via.url("ana:s3cret"), **options), 2)
        assert (result.ok, result.status_code) == (True, 200), result.error_message
    assert [(p.method, p.headers["proxy-authorization"], p.answer) for p in via.seen] == [
        ("GET", CREDENTIALS, 200), ("CONNECT", CREDENTIALS, 200)]
    for origin in (web, tls_origin):
        assert "proxy-authorization" not in {name.lower() for name, _ in origin.seen[0].headers}


async def test_percent_encoded_credentials_are_decoded(web, proxy, http_target):
    via = await proxy(credentials="Basic YW5hQGV4YW1wbGU6cEA6c3M=")  # ana@example:p@:ss
    result = await run_probe("http", http_target(web.url("/ok"), proxy=via.url("ana%40example:p%40%3Ass")), 2)
    assert (result.ok, result.status_code) == (True, 200), result.error_message


async def test_redirects_are_followed_through_the_same_proxy(web, tls_origin, proxy, pki, http_target):
    via = await proxy()
    url = web.url(f"/redirect-to?url={quote(f'https://localhost:{tls_origin.port}/echo', safe='')}")
    result = await run_probe("http", http_target(url, proxy=via.url(), ca_file=str(pki.ca)), 2)
    assert (result.ok, result.status_code) == (True, 200), result.error_message
    assert [(p.method, p.target) for p in via.seen] == [
        ("GET", url), ("CONNECT", f"localhost:{tls_origin.port}")]
    assert [s.path for s in tls_origin.seen] == ["/echo"]
