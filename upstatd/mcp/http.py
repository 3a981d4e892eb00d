"""`/mcp` on the daemon's listener: MCP's streamable HTTP transport.

The SDK's transport is an ASGI app; the listener is aiohttp. Rather than run a
second server, this one path hands each request to the SDK's session manager
as an ASGI call (a scope, the body already read, the answer collected), in the
manager's stateless, JSON-response mode: each POST carries one JSON-RPC message
and gets its answer as one JSON body. Nothing lives between requests (no
session ids to keep, expire or steal), and the manager never holds a stream
open, so the bridge is a buffer, not a proxy. Tools answer at once; none needs
server-sent events, so GET (the optional stream of server-initiated messages)
and DELETE (ending a session) are a 405, as the transport's spec allows.

Authentication comes first, as on /api: `Authorization: Bearer <token>` is
looked up by the API's own ApiContext.authenticate (revoked and expired tokens
refused at once) and counted by its rate limiter. A missing or bad token is a
401 in the API's error envelope before the SDK sees any byte; a full window a
429. The token then rides the ASGI scope's state to the tools (mcp/server.py).
DNS-rebinding protection (the SDK's Host/Origin allow-list) is off: a browser
page cannot make a request carry the bearer token, and the listener's address
is the operator's choice, not always loopback.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiohttp import web
from mcp_types import INVALID_REQUEST
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from upstatd.api import errors
from upstatd.api.bodies import MAX_BODY, read_body, respond
from upstatd.api.errors import ApiError
from upstatd.api.ratelimit import headers as ratelimit_headers
from upstatd.ids import new_id
from upstatd.mcp.server import TOKEN, build_server

log = structlog.get_logger("upstatd.mcp")

PATH = "/mcp"
_FRAMING = (b"content-length", b"transfer-encoding")
STOP_TIMEOUT = 5.0  # s


def add_routes(app: web.Application, context: Any) -> None:
    bridge = Bridge(context)
    app.on_startup.append(lambda app: bridge.start())
    app.on_shutdown.append(lambda app: bridge.stop())  # before aiohttp waits for the handlers in flight
    app.router.add_route("*", PATH, bridge.handle)


class Bridge:
    """The SDK's session manager, running for as long as the listener, and the aiohttp
    handler that feeds it."""

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

    async def handle(self, request: web.Request) -> web.StreamResponse:
        request_id = new_id("req")
        headers = {"Request-Id": request_id, "Cache-Control": "no-store"}
        context = self.context
        try:
            token = await context.authenticate(request)
            headers.update(ratelimit_headers(context.limiter.hit(token.id, context.clock.time())))
            body = await read_body(request)
        except ApiError as failure:
            return respond(failure.body(request_id), failure.status, headers={**headers, **failure.headers})
        if request.method != "POST":  # the SDK would hold a GET open as an event stream, for nothing
            return respond({"jsonrpc": "2.0", "id": None, "error": {
                "code": INVALID_REQUEST, "message": f"{request.method} is not served at {PATH}: POST each JSON-RPC "
                                                    f"message (no sessions, no server-sent event stream)"}},
                           405, headers={**headers, "Allow": "POST"})
        call = asyncio.current_task()
        self._calls.add(call)
        try:
            status, answer_headers, answer = await self._asgi(request, body, token)
        except Exception as exc:  # a bug in the bridge or the SDK: the envelope, details logged
            log.error("mcp.request_failed", request_id=request_id, exc_info=exc)
            failure = errors.internal(request_id)
            return respond(failure.body(request_id), failure.status, headers=headers)
        finally:
            self._calls.discard(call)
        response = web.Response(status=status, body=answer)
        for name, value in answer_headers:
            if name.lower() not in _FRAMING:  # aiohttp frames the body itself
                response.headers.add(name.decode("latin-1"), value.decode("latin-1"))
        response.headers.update(headers)
        return response

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
