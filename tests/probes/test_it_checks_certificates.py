"""Certificates made at test time by a test CA: valid, expired, soon to expire,
wrong host name, self-signed; through https and through the `tls` probe type.

The test CA reaches the probe the way a sysadmin's private CA would: `ca_file`.
"""

import shutil
import ssl
import time
from urllib.parse import quote

import pytest

from loopback import OK_RESPONSE, blurt, closed_port, make_test_pki, server_tls_context, start_web
from upstatd.config.check import Problems
from upstatd.probes import run_probe, tls

DAY = 86400


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is needed to make test certificates")
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def serve():
    """serve(cert_pair) -> a started https WebServer presenting that certificate."""
    servers = []

    async def start(pair):
        servers.append(await start_web(ssl_context=server_tls_context(*pair)))
        return servers[-1]

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
def tls_target():
    def make(url, **options):
        problems = Problems("config.yaml")
        target = tls.prepare(url, options or None, ("monitors", 0), problems)
        assert not problems, problems.messages()
        return target
    return make


def expiry_date(result) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(result.details["cert_expires_at"]))


def not_after(pair) -> int:
    return int(tls.certificate_validity(ssl.PEM_cert_to_DER_cert(pair[0].read_text()))[1])


# -- https ----------------------------------------------------------------------------

async def test_a_valid_certificate_from_a_trusted_ca_file(pki, serve, http_target):
    server = await serve(pki.valid)
    result = await run_probe("http", http_target(server.url("/ok"), ca_file=str(pki.ca)), 2)
    assert (result.outcome, result.status_code, result.error_kind) == ("up", 200, None)
    assert result.details == {"cert_expires_at": not_after(pki.valid), "cert_expires_in_days": 30.0}
    assert set(result.phases) == {"resolve", "connect", "tls", "first_byte", "transfer"}


async def test_the_same_certificate_without_its_ca_is_untrusted(pki, serve, http_target):
    server = await serve(pki.valid)
    result = await run_probe("http", http_target(server.url("/ok")), 2)
    assert (result.outcome, result.error_kind, result.error_message) == (
        "down", "ssl_error", "certificate verify failed: unable to get local issuer certificate")
    assert server.seen == []


async def test_an_expired_certificate_fails_the_handshake(pki, serve, http_target):
    server = await serve(pki.expired)
    result = await run_probe("http", http_target(server.url("/ok"), ca_file=str(pki.ca)), 2)
    assert (result.outcome, result.error_kind, result.error_message) == (
        "down", "ssl_error", "certificate verify failed: certificate has expired")
    assert server.seen == []


async def test_an_expired_certificate_fails_even_without_verification(pki, serve, http_target):
    server = await serve(pki.expired)
    result = await run_probe("http", http_target(server.url("/ok"), verify_tls=False), 2)
    assert (result.outcome, result.error_kind) == ("down", "ssl_error")
    assert result.details["cert_expires_in_days"] == -1.0
    assert result.error_message == f"certificate expired 1.0 days ago ({expiry_date(result)})"
    assert server.seen == []  # judged right after the handshake: no request sent


async def test_a_certificate_close_to_expiry_is_degraded(pki, serve, http_target):
    server = await serve(pki.soon)
    result = await run_probe("http", http_target(server.url("/ok"), ca_file=str(pki.ca)), 2)
    assert (result.ok, result.outcome, result.status_code, result.error_kind) == (True, "degraded", 200, "ssl_error")
    assert result.details["cert_expires_in_days"] == 5.2
    assert result.error_message == (
        f"certificate expires in 5.2 days ({expiry_date(result)}), below tls_expiry_days 14")


@pytest.mark.parametrize("days", [0, 5])
async def test_tls_expiry_days_sets_the_warning_or_turns_it_off(pki, serve, http_target, days):
    server = await serve(pki.soon)
    result = await run_probe("http", http_target(server.url("/ok"), ca_file=str(pki.ca), tls_expiry_days=days), 2)
    assert (result.outcome, result.error_kind) == ("up", None)
    assert result.details["cert_expires_in_days"] == 5.2


async def test_a_certificate_for_another_host_name(pki, serve, http_target):
    server = await serve(pki.wrong_host)
    result = await run_probe("http", http_target(f"https://localhost:{server.port}/ok", ca_file=str(pki.ca)), 2)
    assert (result.error_kind, result.error_message) == (
        "ssl_error", "certificate verify failed: hostname mismatch, certificate is not valid for 'localhost'")


async def test_a_certificate_for_another_ip_address(pki, serve, http_target):
    server = await serve(pki.wrong_host)
    result = await run_probe("http", http_target(server.url("/ok"), ca_file=str(pki.ca)), 2)
    assert (result.error_kind, result.error_message) == (
        "ssl_error", "certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'")


async def test_a_self_signed_certificate(cert, serve, http_target):
    server = await serve(cert)
    result = await run_probe("http", http_target(server.url("/ok")), 2)
    assert (result.error_kind, result.error_message) == ("ssl_error", "certificate verify failed: self-signed certificate")


async def test_a_self_signed_certificate_without_verification_still_reports_its_expiry(cert, serve, http_target):
    server = await serve(cert)
    result = await run_probe("http", http_target(server.url("/ok"), verify_tls=False), 2)
    assert (result.outcome, result.status_code) == ("up", 200)
    assert result.details == {"cert_expires_at": not_after(cert), "cert_expires_in_days": 30.0}


async def test_the_first_certificate_to_expire_along_redirects_counts(pki, serve, web, http_target):
    soon, valid = await serve(pki.soon), await serve(pki.valid)
    # valid -> soon (over plain http in between, to cross origins)
    hop = web.url(f"/redirect-to?url={quote(soon.url('/ok'), safe='')}")
    url = valid.url(f"/redirect-to?url={quote(hop, safe='')}")
    result = await run_probe("http", http_target(url, ca_file=str(pki.ca)), 2)
    assert (result.outcome, result.error_kind, result.details["cert_expires_in_days"]) == ("degraded", "ssl_error", 5.2)
    assert [s.path for s in soon.seen] == ["/ok"]


# -- the tls probe type ------------------------------------------------------------------

async def test_tls_probe_of_a_valid_certificate(pki, serve, tls_target):
    server = await serve(pki.valid)
    result = await run_probe("tls", tls_target(f"tls://127.0.0.1:{server.port}", ca_file=str(pki.ca)), 2)
    assert (result.outcome, result.status_code, result.error_kind) == ("up", None, None)
    assert set(result.phases) == {"resolve", "connect", "tls"}
    assert result.details == {"cert_expires_at": not_after(pki.valid), "cert_expires_in_days": 30.0}
    assert server.seen == []  # it says nothing after the handshake


async def test_tls_probe_of_a_certificate_close_to_expiry(pki, serve, tls_target):
    server = await serve(pki.soon)
    result = await run_probe("tls", tls_target(f"tls://localhost:{server.port}", ca_file=str(pki.ca)), 2)
    assert (result.outcome, result.error_kind) == ("degraded", "ssl_error")
    assert result.error_message == f"certificate expires in 5.2 days ({expiry_date(result)}), below tls_expiry_days 14"
    result = await run_probe("tls", tls_target(f"tls://localhost:{server.port}", ca_file=str(pki.ca),
                                               tls_expiry_days=3), 2)
    assert result.outcome == "up"


async def test_tls_probe_of_an_expired_certificate(pki, serve, tls_target):
    server = await serve(pki.expired)
    url = f"tls://127.0.0.1:{server.port}"
    result = await run_probe("tls", tls_target(url, ca_file=str(pki.ca)), 2)
    assert (result.error_kind, result.error_message) == ("ssl_error", "certificate verify failed: certificate has expired")
    result = await run_probe("tls", tls_target(url, verify=False), 2)
    assert (result.outcome, result.error_kind) == ("down", "ssl_error")
    assert result.error_message == f"certificate expired 1.0 days ago ({expiry_date(result)})"


async def test_tls_probe_names_a_host_mismatch_and_server_name_overrides_it(pki, serve, tls_target):
    server = await serve(pki.wrong_host)
    url = f"tls://localhost:{server.port}"
    result = await run_probe("tls", tls_target(url, ca_file=str(pki.ca)), 2)
    assert (result.error_kind, result.error_message) == (
        "ssl_error", "certificate verify failed: hostname mismatch, certificate is not valid for 'localhost'")
    result = await run_probe("tls", tls_target(url, ca_file=str(pki.ca), server_name="wrong.example"), 2)
    assert (result.outcome, result.details["cert_expires_in_days"]) == ("up", 30.0)


async def test_tls_probe_of_a_self_signed_certificate(cert, serve, tls_target):
    server = await serve(cert)
    url = f"tls://127.0.0.1:{server.port}"
    result = await run_probe("tls", tls_target(url), 2)
    assert (result.error_kind, result.error_message) == ("ssl_error", "certificate verify failed: self-signed certificate")
    result = await run_probe("tls", tls_target(url, verify=False), 2)
    assert (result.outcome, result.details["cert_expires_in_days"]) == ("up", 30.0)


async def test_tls_probe_of_a_closed_port(tls_target):
    port = closed_port()
    result = await run_probe("tls", tls_target(f"tls://127.0.0.1:{port}"), 2)
    assert (result.error_kind, result.error_message) == ("connection_error", f"connection refused by 127.0.0.1:{port}")


async def test_tls_probe_of_a_server_that_does_not_speak_tls(raw_server, tls_target):
    server = await raw_server(blurt(OK_RESPONSE))
    result = await run_probe("tls", tls_target(f"tls://127.0.0.1:{server.port}", verify=False), 2)
    assert (result.error_kind, result.error_message) == ("ssl_error", "TLS handshake failed: wrong version number")
    await server.peer_closes()
