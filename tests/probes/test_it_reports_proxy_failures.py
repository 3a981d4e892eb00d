"""A proxy that refuses, cannot be reached, hangs up or misbehaves: each a specific
error_kind and message naming the proxy (never its credentials)."""

import pytest

from dns_server import start_dns
from loopback import GARBAGE, blurt, closed_port, drip, hang_up, huge_header, respond, silent
from upstatd.probes import resolve as resolve_module, run_probe
from upstatd.probes.resolve import Resolver

REFUSED = "proxy credentials missing or refused"


async def test_a_407_to_connect_is_a_proxy_error(tls_web, proxy, http_target):
    via = await proxy(credentials="Basic bm90OnRoaXM=")
    result = await run_probe("http", http_target(tls_web.url("/ok"), proxy=via.url("ana:wrong-pw"),
                                                 verify_tls=False), 2)
    assert (result.ok, result.error_kind, result.error_message) == (
        False, "proxy_error", f"proxy 127.0.0.1:{via.port} answered 407 to CONNECT 127.0.0.1:{tls_web.port} ({REFUSED})")
    assert "wrong-pw" not in str(result) and tls_web.seen == []
    assert set(result.phases) == {"resolve", "connect"}  # the CONNECT exchange is part of connect


async def test_a_407_to_a_plain_request_is_a_proxy_error(web, proxy, http_target):
    via = await proxy(credentials="Basic bm90OnRoaXM=")
    result = await run_probe("http", http_target(web.url("/ok"), proxy=via.url()), 2)
    assert (result.error_kind, result.status_code, result.error_message) == (
        "proxy_error", 407, f"proxy 127.0.0.1:{via.port} answered 407 to GET {web.url('/ok')} ({REFUSED})")
    assert web.seen == []


async def test_a_502_to_connect_is_a_proxy_error(proxy, http_target):
    via = await proxy()
    port = closed_port()  # the proxy cannot reach it
    result = await run_probe("http", http_target(f"https://127.0.0.1:{port}/", proxy=via.url()), 2)
    assert (result.error_kind, result.error_message) == (
        "proxy_error", f"proxy 127.0.0.1:{via.port} answered 502 to CONNECT 127.0.0.1:{port}")


async def test_a_proxy_nobody_listens_on_is_a_connection_error_naming_it(web, http_target):
    port = closed_port()
    for url in (web.url("/ok"), "https://127.0.0.1:1/"):
        result = await run_probe("http", http_target(url, proxy=f"http://ana:pw@127.0.0.1:{port}"), 2)
        assert (result.error_kind, result.error_message) == (
            "connection_error", f"connection refused by proxy 127.0.0.1:{port}")
    assert web.seen == []


@pytest.fixture
async def names(monkeypatch, tmp_path):
    """The shared resolver asks a loopback DNS server that knows proxy.test (and an empty hosts file)."""
    server = await start_dns(records={("proxy.test", "A"): ["127.0.0.1"]})
    hosts = tmp_path / "hosts"
    hosts.write_text("")
    monkeypatch.setattr(resolve_module, "_shared", Resolver(nameservers=[("127.0.0.1", server.port)],
                                                            hosts_path=str(hosts)))
    yield server
    await server.close()


async def test_the_proxy_name_is_what_gets_resolved(names, web, proxy, http_target):
    via = await proxy()
    # 5 s: a resolution, a proxy and a target on a loaded 2-core machine (2 s failed once in a full run)
    result = await run_probe("http", http_target(web.url("/ok"), proxy=f"http://proxy.test:{via.port}"), 5)
    assert (result.ok, len(via.seen), names.queries["udp"] > 0) == (True, 1, True), result
    gone = await run_probe("http", http_target(web.url("/ok"), proxy=f"http://gone.test:{via.port}"), 2)
    assert (gone.error_kind, gone.error_message) == ("dns_error", "could not resolve proxy 'gone.test': name does not exist")


async def test_a_proxy_that_hangs_up_before_answering_connect(raw_server, http_target):
    server = await raw_server(hang_up)
    result = await run_probe("http", http_target("https://127.0.0.1:1/", proxy=server.url("")), 2)
    assert (result.error_kind, result.error_message) == (
        "connection_error", f"proxy 127.0.0.1:{server.port} closed the connection before answering "
                            "CONNECT 127.0.0.1:1")


async def test_a_proxy_that_does_not_speak_http(raw_server, http_target):
    server = await raw_server(respond(GARBAGE))
    result = await run_probe("http", http_target("https://127.0.0.1:1/", proxy=server.url("")), 2)
    assert (result.error_kind, result.error_message) == (
        "proxy_error", f"proxy 127.0.0.1:{server.port} answered CONNECT with something that is not HTTP")


async def test_data_after_the_connect_answer_is_refused(raw_server, http_target):
    server = await raw_server(respond(b"HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n", then_close=False))
    result = await run_probe("http", http_target("https://127.0.0.1:1/", proxy=server.url("")), 2)
    assert (result.error_kind, result.error_message) == (
        "proxy_error", f"proxy 127.0.0.1:{server.port} sent data after its answer to CONNECT")


async def test_interim_answers_to_connect_are_skipped(raw_server, http_target):
    # 100 Continue, then a refusal: the refusal is what counts
    server = await raw_server(respond(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\n\r\n"))
    result = await run_probe("http", http_target("https://127.0.0.1:1/", proxy=server.url("")), 2)
    assert result.error_message == f"proxy 127.0.0.1:{server.port} answered 403 to CONNECT 127.0.0.1:1"


async def test_the_head_bound_applies_to_the_proxy(raw_server, http_target):
    server = await raw_server(huge_header())
    for url, message in (("https://127.0.0.1:1/", ("proxy_error", f"proxy 127.0.0.1:{server.port} sent more than "
                                                                   "64 KiB without ending its answer to CONNECT")),
                         ("http://127.0.0.1:1/", ("invalid_response", "response headers larger than 64 KiB"))):
        result = await run_probe("http", http_target(url, proxy=server.url("")), 2)
        assert (result.error_kind, result.error_message) == message
    await server.all_ended()


async def test_a_silent_proxy_times_out_in_connect(raw_server, http_target):
    server = await raw_server(silent)
    result = await run_probe("http", http_target("https://127.0.0.1:1/", proxy=server.url("")), 0.3)
    assert (result.error_kind, result.error_message) == ("timeout", "no answer within 300ms (during connect)")
    await server.peer_closes()


async def test_a_dripping_proxy_is_cut_by_the_deadline(raw_server, http_target):
    server = await raw_server(drip(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 100, interval=0.05))
    result = await run_probe("http", http_target("https://127.0.0.1:1/", proxy=server.url("")), 0.3)
    assert (result.error_kind, result.error_message) == ("timeout", "no answer within 300ms (during connect)")
    await server.all_ended()  # the probe dropped the connection (unread bytes: a reset, not a close)


async def test_endless_interim_answers_count_toward_the_bound(raw_server, http_target):
    server = await raw_server(respond(b"HTTP/1.1 100 Continue\r\n\r\n" * 5000, then_close=False))
    result = await run_probe("http", http_target("https://127.0.0.1:1/", proxy=server.url("")), 2)
    assert (result.error_kind, result.error_message) == (
        "proxy_error", f"proxy 127.0.0.1:{server.port} sent more than 64 KiB without ending its answer to CONNECT")
