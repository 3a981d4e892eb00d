"""TCP probe against real loopback listeners."""

import pytest

from loopback import closed_port, has_ipv6_loopback, idle
from upstatd.config.check import Problems
from upstatd.probes import run_probe
from upstatd.probes.tcp import TcpTarget, prepare


def target(url: str) -> TcpTarget:
    problems = Problems("config.yaml")
    result = prepare(url, None, ("monitors", 0), problems)
    assert not problems, problems.messages()
    return result


async def test_an_open_port_is_up(raw_server):
    server = await raw_server(idle)
    result = await run_probe("tcp", target(f"tcp://127.0.0.1:{server.port}"), 2)
    assert result.ok, result
    assert result.error_kind is None and result.status_code is None
    assert set(result.phases) == {"resolve", "connect"}
    assert result.latency_ms >= result.phases["connect"] >= 0
    await server.peer_closes()  # the probe closed its connection
    assert server.accepted == 1


async def test_a_closed_port_is_a_connection_error():
    port = closed_port()
    result = await run_probe("tcp", target(f"tcp://127.0.0.1:{port}"), 2)
    assert not result.ok
    assert result.error_kind == "connection_error"
    assert result.error_message == f"connection refused by 127.0.0.1:{port}"


async def test_a_closed_ipv6_port_names_the_bracketed_address():
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    port = closed_port("::1")
    result = await run_probe("tcp", target(f"tcp://[::1]:{port}"), 2)
    assert (result.error_kind, result.error_message) == ("connection_error", f"connection refused by [::1]:{port}")


async def test_an_open_ipv6_port_is_up(raw_server):
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    server = await raw_server(idle, "::1")
    result = await run_probe("tcp", target(f"tcp://[::1]:{server.port}"), 2)
    assert result.ok, result


async def test_localhost_is_resolved_then_connected(raw_server):
    server = await raw_server(idle)
    result = await run_probe("tcp", target(f"tcp://localhost:{server.port}"), 2)
    # localhost may list ::1 first where nothing listens: the next address is tried
    assert result.ok, result
    assert server.accepted == 1


async def test_an_unresolvable_host_is_a_dns_error():
    host = "a" * 64 + ".example"  # refused locally by the idna codec, no query sent
    result = await run_probe("tcp", TcpTarget(host, 80), 2)
    assert result.error_kind == "dns_error"
    assert result.error_message == f"could not resolve '{host}': not a valid host name"
    assert "connect" not in result.phases
