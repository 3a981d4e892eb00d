"""IPv6 loopback (::1): skipped where the host has none."""

import pytest

from loopback import closed_port, has_ipv6_loopback
from upstatd.probes import run_probe


async def test_http_over_ipv6(web6, http_target):
    result = await run_probe("http", http_target(web6.url("/ok")), 2)
    assert (result.ok, result.status_code) == (True, 200)
    assert dict(web6.seen[0].headers)["Host"] == f"[::1]:{web6.port}"


async def test_a_closed_ipv6_port(http_target):
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    port = closed_port("::1")
    result = await run_probe("http", http_target(f"http://[::1]:{port}/"), 2)
    assert (result.error_kind, result.error_message) == ("connection_error", f"connection refused by [::1]:{port}")
