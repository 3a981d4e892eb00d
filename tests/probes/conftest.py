"""Loopback servers as fixtures; every probe test runs on asyncio's loop and on uvloop."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

# tests/ is on sys.path (pytest puts the root conftest's directory there)
from loopback import (
    RawServer, WebServer, has_ipv6_loopback, self_signed_cert, server_tls_context, start_raw, start_web,
)
from dns_server import DnsServer, start_dns
from proxy_server import LoopbackProxy, start_proxy
from upstatd.config.check import Problems
from upstatd.probes import dns as dns_probe
from upstatd.probes.http import prepare


@pytest.hookimpl(optionalhook=True)
def pytest_asyncio_loop_factories(config, item):
    factories = {"asyncio": asyncio.new_event_loop}
    try:
        import uvloop
    except ImportError:
        return factories
    return {**factories, "uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="session")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is needed to make a test certificate")
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def closes_dns_sockets():
    """The nameservers' shared UDP sockets (probes/dns_socket.py), closed after the test:
    they belong to its loop. A DNS test file uses it for every test (pytestmark)."""
    yield
    await dns_probe.close()


@pytest.fixture
async def dns_server() -> DnsServer:
    server = await start_dns()
    yield server
    await server.close()


@pytest.fixture
async def web() -> WebServer:
    server = await start_web()
    yield server
    await server.close()


@pytest.fixture
async def other_web() -> WebServer:
    """A second origin (another port) for cross-origin redirects."""
    server = await start_web()
    yield server
    await server.close()


@pytest.fixture
async def tls_web(cert) -> WebServer:
    server = await start_web(ssl_context=server_tls_context(*cert))
    yield server
    await server.close()


@pytest.fixture
async def web6() -> WebServer:
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) on this host")
    server = await start_web("::1")
    yield server
    await server.close()


@pytest.fixture
async def raw_server():
    """raw_server(handler, host="127.0.0.1") -> a started RawServer, closed after the test."""
    servers: list[RawServer] = []

    async def make(handler, host: str = "127.0.0.1") -> RawServer:
        servers.append(await start_raw(handler, host))
        return servers[-1]

    yield make
    for server in servers:
        await server.close()


@pytest.fixture
async def proxy():
    """proxy(credentials=None) -> a started LoopbackProxy (demanding that Proxy-Authorization
    value when given), closed after the test."""
    proxies: list[LoopbackProxy] = []

    async def make(credentials: str | None = None) -> LoopbackProxy:
        proxies.append(await start_proxy(credentials))
        return proxies[-1]

    yield make
    for started in proxies:
        await started.close()


@pytest.fixture
def http_target():
    """http_target(url, **options) -> an HttpTarget from prepare(), failing the test on config errors."""
    def make(url: str, **options):
        problems = Problems("config.yaml")
        target = prepare(url, options or None, ("monitors", 0), problems)
        assert not problems, problems.messages()
        return target

    return make
