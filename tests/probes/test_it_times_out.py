"""A silent server: run_probe's deadline ends the probe, and the socket is closed."""

import time

from loopback import silent, idle
from upstatd.probes import run_probe


async def test_a_silent_server_times_out_within_the_deadline(raw_server, http_target):
    server = await raw_server(silent)
    started = time.perf_counter()
    result = await run_probe("http", http_target(server.url("/")), 0.3)
    elapsed = time.perf_counter() - started
    assert (result.ok, result.error_kind) == (False, "timeout")
    assert result.error_message == "no answer within 300ms (during first_byte)"
    assert 0.29 <= elapsed < 1.0
    assert len(server.requests) == 1  # the request went out; only the answer never came
    await server.peer_closes()  # cancelled, the probe still closed its socket


async def test_a_stalled_tls_handshake_times_out_in_the_tls_phase(raw_server, http_target):
    server = await raw_server(idle)  # accepts, never answers the ClientHello
    started = time.perf_counter()
    result = await run_probe("http", http_target(server.url("/", scheme="https")), 0.3)
    assert time.perf_counter() - started < 1.0
    assert (result.error_kind, result.error_message) == ("timeout", "no answer within 300ms (during tls)")
    await server.peer_closes()
