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

The SDK is loaded by the first authenticated POST (bridge.py, imported in a
thread so the loop keeps serving), not at start; requests arriving meanwhile
wait for the same load.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import structlog
from aiohttp import web

from upstatd.api import errors
from upstatd.api.bodies import read_body, respond
from upstatd.api.errors import ApiError
from upstatd.api.ratelimit import headers as ratelimit_headers
from upstatd.ids import new_id

log = structlog.get_logger("upstatd.mcp")

PATH = "/mcp"
_FRAMING = (b"content-length", b"transfer-encoding")
_INVALID_REQUEST = -32600  # JSON-RPC's code, as the SDK's mcp_types names it


def add_routes(app: web.Application, context: Any) -> None:
    endpoint = Endpoint(context)
    app.on_shutdown.append(lambda app: endpoint.stop())  # before aiohttp waits for the handlers in flight
    app.router.add_route("*", PATH, endpoint.handle)


class Endpoint:
    """The aiohttp handler of /mcp, and the bridge to the SDK once a client has come."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self._loading: asyncio.Future | None = None  # -> a started bridge.Bridge
        self._stopped = False

    async def stop(self) -> None:
        self._stopped = True
        if self._loading is None:
            return
        try:
            bridge = await self._loading
        except Exception:  # it never started: nothing to stop
            return
        await bridge.stop()

    async def _bridge(self) -> Any:
        loading = self._loading
        if loading is None or (loading.done() and (loading.cancelled() or loading.exception() is not None)):
            self._loading = asyncio.ensure_future(self._load())  # a failed load is tried again
        return await asyncio.shield(self._loading)  # a request that gives up does not cancel the load

    async def _load(self) -> Any:
        module = await asyncio.to_thread(importlib.import_module, "upstatd.mcp.bridge")
        bridge = module.Bridge(self.context)
        await bridge.start()
        return bridge

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
                "code": _INVALID_REQUEST, "message": f"{request.method} is not served at {PATH}: POST each "
                                                     f"JSON-RPC message (no sessions, no server-sent event stream)"}},
                           405, headers={**headers, "Allow": "POST"})
        if self._stopped:
            failure = errors.unavailable("the daemon is stopping")
            return respond(failure.body(request_id), failure.status, headers=headers)
        try:
            bridge = await self._bridge()
            status, answer_headers, answer = await bridge.call(request, body, token)
        except Exception as exc:  # a bug in the bridge or the SDK: the envelope, details logged
            log.error("mcp.request_failed", request_id=request_id, exc_info=exc)
            failure = errors.internal(request_id)
            return respond(failure.body(request_id), failure.status, headers=headers)
        response = web.Response(status=status, body=answer)
        for name, value in answer_headers:
            if name.lower() not in _FRAMING:  # aiohttp frames the body itself
                response.headers.add(name.decode("latin-1"), value.decode("latin-1"))
        response.headers.update(headers)
        return response
