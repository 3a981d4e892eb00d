"""The HTTP listener, bounded against clients that hold connections open.
Each connection is read first by the ping URLs' own server (api/ping_server.py),
which answers pings and hands every other request's connection to aiohttp.

- A request's head (request line and headers) must arrive within
  `header_timeout` of the connection opening or of the previous answer on it;
  an idle keep-alive connection is closed after the same time. aiohttp's
  keep-alive timer measures exactly that: it starts when a connection opens or
  an answer is sent, is not reset by bytes that do not complete a request, and
  closes the connection if no whole head came by then. Bodies have their own
  timeout where they are read (api/bodies.py, api/ping.py).
- At most `max_connections` are open in all and `max_connections_per_address`
  from one client address (a trusted proxy's address is exempt: every client
  behind it shares it); a connection over a cap is closed as it opens, before
  a byte is read, so a flood cannot take memory or the event loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import structlog
from aiohttp import web

from upstatd.api import forwarded, ping
from upstatd.api.bodies import BODY_TIMEOUT
from upstatd.api.ping_server import PingConnection, Serving

log = structlog.get_logger("upstatd.api")
LINGER = 1.0  # s
# Connections waiting to be accepted (asyncio's default is 100): cron jobs that ping at the
# same second each open one, and a full queue drops their SYNs (a 1 s retry for each).
BACKLOG = 1024


class ConnectionCaps:
    """Open connections counted per client address and in all."""

    def __init__(self, total: int, per_address: int, exempt: Callable[[str], bool] = lambda address: False
                 ) -> None:
        self.total = total
        self.per_address = per_address
        self.exempt = exempt  # addresses not held to per_address (trusted proxies)
        self.open = 0
        self.by_address: Counter[str] = Counter()
        self.refused = 0
        self._warned_at = -1e9

    def admit(self, address: str) -> bool:
        over = ("max_connections" if self.open >= self.total else
                "max_connections_per_address" if (self.by_address[address] >= self.per_address
                                                  and not self.exempt(address)) else None)
        if over is not None:
            self.refused += 1
            now = asyncio.get_running_loop().time()
            if now - self._warned_at >= 60:  # a flood logs once a minute, not once a connection
                self._warned_at = now
                log.warning("server.connection_refused", cap=over, address=address, open=self.open,
                            from_address=self.by_address[address], refused=self.refused)
            return False
        self.open += 1
        self.by_address[address] += 1
        return True

    def release(self, address: str) -> None:
        self.open -= 1
        self.by_address[address] -= 1
        if not self.by_address[address]:
            del self.by_address[address]


class HttpListener:
    def __init__(self, app: web.Application, host: str, port: int, *, header_timeout: float,
                 caps: ConnectionCaps) -> None:
        # keepalive_timeout is aiohttp's wait for a whole request head (see the module's doc);
        # after an answer given before its body was read (408, 413, 401), the rest of
        # the body is drained for LINGER seconds at most, then the connection closes
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=header_timeout,
                                    lingering_time=LINGER)
        self.host = host
        self.port = port
        self.caps = caps
        self.header_timeout = header_timeout
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        await self.runner.setup()
        handlers = self.runner.server
        assert handlers is not None
        app = self.runner.app
        serving = None
        if ping.HEARTBEATS in app:  # the ping URLs' own server, in front of aiohttp (api/ping_server.py)
            serving = Serving(app[ping.HEARTBEATS], app.get(ping.CREATOR), app[forwarded.TRUSTED],
                              self.header_timeout, app[BODY_TIMEOUT])
        self._server = await asyncio.get_running_loop().create_server(
            lambda: PingConnection(self.caps, handlers, serving), self.host, self.port, reuse_address=True,
            backlog=BACKLOG)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()  # no new connections; aiohttp then finishes or closes the open ones
            self._server = None
        await self.runner.cleanup()
