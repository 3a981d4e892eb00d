"""The SDK's side of /mcp: its streamable-HTTP session manager, run for as long as
the listener, and one ASGI call of it per request (see http.py for why a
buffer, not a proxy). Imported on the first /mcp request, not at start: the SDK
and what it brings (pydantic, starlette, anyio) cost the daemon about a second
of start-up and ~37 MiB, which a daemon that never hears from an MCP client
should not pay.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiohttp import web
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from upstatd.api.bodies import MAX_BODY
from upstatd.mcp.server import TOKEN, build_server

log = structlog.get_logger("upstatd.mcp")

STOP_TIMEOUT = 5.0  # s


class Bridge:
    """The SDK's session manager, running for as long as the listener."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.server = build_server(context)
        self.manager: StreamableHTTPSessionManager | None = None
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._calls: set[asyncio.Task] = set()  # the handlers' tasks inside the SDK now

    async def start(self) -> None:
        # The manager's run() is an anyio task group: entered and left in one task of its own.
        self.manager = StreamableHTTPSessionManager(
            self.server, json_response=True, stateless=True, max_request_body_size=MAX_BODY,
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False))
        running = asyncio.Event()

        async def run() -> None:
            async with self.manager.run():
                running.set()
                await self._stopping.wait()

        self._task = asyncio.create_task(run(), name="mcp")
        await asyncio.wait([self._task, asyncio.ensure_future(running.wait())],
                           return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():
            self._task.result()  # it failed to start: say why

    async def stop(self) -> None:
        """Calls in flight get STOP_TIMEOUT to finish, then are cancelled, and the manager's
        task group ends: a stuck call never holds the daemon's stop."""
        if self._calls:
            _, late = await asyncio.wait(self._calls, timeout=STOP_TIMEOUT)
            for call in late:
                log.warning("mcp.call_cancelled_at_stop", seconds=STOP_TIMEOUT)
                call.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self._stopping.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_TIMEOUT)
        except TimeoutError:
            log.warning("mcp.stop_timeout", seconds=STOP_TIMEOUT)
            self._task.cancel()
        except Exception as exc:  # it failed: stopping anyway
            log.warning("mcp.stop_failed", error=str(exc))
        await asyncio.gather(self._task, return_exceptions=True)

    async def call(self, request: web.Request, body: bytes, token: Any) -> tuple[int, list, bytes]:
        """One request through the manager, counted so that stop() can wait for it."""
        call = asyncio.current_task()
        self._calls.add(call)
        try:
            return await self._asgi(request, body, token)
        finally:
            self._calls.discard(call)

    async def _asgi(self, request: web.Request, body: bytes, token: Any) -> tuple[int, list, bytes]:
        """One ASGI call of the manager: -> (status, headers, body)."""
        assert self.manager is not None, "the MCP bridge is not started"
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
            "scheme": request.scheme, "path": request.path, "raw_path": request.raw_path.encode(),
            "query_string": request.query_string.encode(), "root_path": "",
            "headers": [(name.lower(), value) for name, value in request.raw_headers],
            "client": (request.remote or "", 0), "server": None, "state": {TOKEN: token},
        }
        answered = asyncio.Event()
        delivered = False

        async def receive() -> dict:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await answered.wait()  # anything listening for a disconnect hears it once the answer is out
            return {"type": "http.disconnect"}

        status, headers, chunks = 500, [], []

        async def send(message: dict) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    answered.set()

        await self.manager.handle_request(scope, receive, send)
        answered.set()
        return status, headers, b"".join(chunks)
