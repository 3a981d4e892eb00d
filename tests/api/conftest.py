"""The real daemon, in-process, on a loopback port, for REST API tests.

    async def test_something(api):
        status, headers, body = await api.request("GET", "/api/tokens")          # as the admin
        status, _, body = await api.request("GET", "/api/tokens", token=None)     # no Authorization
        reader = await api.make_token("monitors:read")                          # -> its secret
        status, _, body = await api.request("POST", "/api/monitors", token=reader, json={...})

    async def test_with_options(start_api):
        api = await start_api("api: {rate_limit: {per_token_minute: 3}}", clock=FakeClock())

`start_api(extra_yaml="", clock=None, server="", environ=None)` starts one more daemon (stopped
after the test); `environ` is what `${VAR}` in the file expands from (default: nothing); `server` adds keys to the `server:` block after `listen`
("header_timeout: 1s"); `extra_yaml` is appended to the config file: any
top-level section but `server:` (e.g. `api:`, `monitors:`, or `storage:` to use a given database;
without `monitors:` the daemon runs with none, without `storage:` on a fresh
database in its own directory). `api.clock` is the daemon's clock: pass a FakeClock
to move time (`api.clock.advance(61)`).

A module whose tests only read (a matrix over every route) shares one daemon: its tests take
`module_api` and run on the module's event loop (`pytest.mark.asyncio(loop_scope="module")`);
the module overrides `module_daemon` to start it with options (`start_module_api(clock=...)`).
"""

from __future__ import annotations

import gc
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from loopback import closed_port
from upstatd import ids, permissions
from upstatd.tokens.admin import admin_token_path, create_token
from upstatd.app import Daemon
from upstatd.clock import Clock
from upstatd.config.load import load_config
from upstatd.store.settings import id_key
from upstatd.systemd import Notifier

# the alert channels' loopback peers (SMTP, HTTP receivers) are tests/alerts/alertkit.py's
sys.path.append(str(Path(__file__).parent.parent / "alerts"))

ADMIN = object()  # request(token=ADMIN): the admin token, the default


class Api:
    def __init__(self, daemon: Daemon, config_path: Path, session: aiohttp.ClientSession) -> None:
        self.daemon = daemon
        self.clock = daemon.clock
        self.config_path = config_path
        self.db_path = Path(daemon.config.storage_path)
        self.url = f"http://{daemon.config.server.host}:{daemon.config.server.port}"
        admin_file = Path(admin_token_path(daemon.config.storage_path))
        # None when the database already had tokens at first start (made by the CLI)
        self.admin_token = admin_file.read_text().strip() if admin_file.exists() else None
        self.session = session
        self.id_key = b""  # the database's (Daemons.start reads it)

    async def request(self, method: str, path: str, *, token: Any = ADMIN, json: Any = None,
                      headers: dict[str, str] | None = None, data: Any = None
                      ) -> tuple[int, Any, Any]:
        """-> (status, response headers, parsed JSON body or None). `token=None` sends no
        Authorization header; a string is sent as `Bearer <token>`."""
        sent = dict(headers or {})
        if token is ADMIN:
            token = self.admin_token
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        async with self.session.request(method, self.url + path, json=json, data=data,
                                        headers=sent) as response:
            body = await response.json() if response.content_type == "application/json" else None
            return response.status, response.headers, body

    async def make_token(self, granted: str | dict[str, list[str]], name: str = "test",
                         expires_at: int | None = None) -> str:
        """A token made straight in the database (no request, so no rate limit is used up);
        returns its secret. `granted`: 'monitors:read,incidents:*' or {"monitors": ["read"]};
        `expires_at` in Unix seconds."""
        parsed = permissions.parse(granted) if isinstance(granted, str) else permissions.normalize(granted)
        now_ms = round(self.clock.time() * 1000)
        expires_ms = None if expires_at is None else expires_at * 1000
        _, secret = await self.daemon.writer.run(
            lambda conn: create_token(conn, name, parsed, expires_ms, now_ms))
        return secret


def config_text(port: int, state_dir: Path, extra: str = "", server: str = "") -> str:
    """`server`: more keys of the server section, as a flow mapping's items (`trusted_proxies: [127.0.0.1]`)."""
    extra = textwrap.dedent(extra).strip()
    text = f'server: {{listen: "127.0.0.1:{port}"{", " + server if server else ""}}}\n'
    if "storage:" not in extra:
        text += f'storage: {{path: "{state_dir / "upstatd.db"}"}}\n'
    if "monitors:" not in extra:
        text += "monitors: []\n"
    return text + (extra + "\n" if extra else "")


class Daemons:
    """Starts daemons under one directory, each on its own port; `stop()` stops them all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[tuple[Daemon, aiohttp.ClientSession]] = []

    async def start(self, extra_yaml: str = "", clock: Clock | None = None, server: str = "",
                    environ: dict[str, str] | None = None) -> Api:
        base = self.directory / f"daemon{len(self.started)}"
        base.mkdir()
        config_path = base / "config.yaml"
        config_path.write_text(config_text(closed_port(), base / "state", extra_yaml, server))
        daemon = Daemon(load_config(str(config_path), environ=environ or {}), clock=clock, notifier=Notifier(None))
        await daemon.start()
        session = aiohttp.ClientSession()
        self.started.append((daemon, session))
        api = Api(daemon, config_path, session)
        api.id_key = await daemon.writer.run(id_key)
        return api

    async def stop(self) -> None:
        for daemon, session in reversed(self.started):
            await session.close()
            await daemon.stop()
        gc.unfreeze()  # Daemon.start froze everything alive; let these tests' objects go


@pytest.fixture
async def start_api(tmp_path: Path):
    """start_api(extra_yaml="", clock=None, server="", environ=None) -> Api: a started daemon, stopped
    after the test."""
    daemons = Daemons(tmp_path)
    yield daemons.start
    await daemons.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def start_module_api(tmp_path_factory):
    """start_api for the tests of one module that share daemons, stopped after the module: for
    read-only matrices over every route, where starting a daemon per test is most of the time.
    Such a module's tests run on the module's event loop: `pytestmark =
    pytest.mark.asyncio(loop_scope="module")`."""
    daemons = Daemons(tmp_path_factory.mktemp("api"))
    yield daemons.start
    await daemons.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_daemon(start_module_api) -> Api:
    """The module's shared daemon: no monitors, the default config, the real clock. A module
    overrides this fixture to start it otherwise (`start_module_api(clock=FakeClock(...))`)."""
    return await start_module_api()


@pytest.fixture
def module_api(module_daemon: Api) -> Api:
    """The module's shared daemon for one test, its id key put back (the `id_key` fixture set
    the tests' own before each test)."""
    ids.use_key(module_daemon.id_key)
    return module_daemon


@pytest.fixture
async def api(start_api) -> Api:
    """A daemon with no monitors, the default config and the real clock."""
    return await start_api()
