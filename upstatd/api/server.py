"""The HTTP listener: `/healthz`, `/metrics` (upstatd.metrics; its own optional
bearer token, not the API's), the ping URLs under `/ping` (upstatd.api.ping),
the incident links under `/incident-links` (upstatd.api.links), the runbook
pages of alerts under `/runbooks` (upstatd.api.runbook_page), and the REST
API under `/api`, and under a dialect's own prefix (`/v1`: UptimeGuard's shapes;
api/envelopes.py), through the same middleware.

Every `/api` request goes through one middleware, in this order: request id,
route resolution (404/405), version, authentication, rate limit, permission,
idempotency (POST with `Idempotency-Key`), query parameter names (a 400 for a
name the route's query Struct lacks; a route without one takes none), handler.
A write (any method but GET, HEAD, OPTIONS) runs `patient`: a 503 while the
database cannot take it (`write`).
Public routes (the OpenAPI document) skip authentication, rate limit and
permission. Any failure on the way, and any exception out of a handler, becomes
the error envelope; every response carries `Request-Id`, `Upstat-Version` and
`X-RateLimit-*` (answers given before a token is known carry the global window,
uncounted).
"""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import structlog

import upstatd
from aiohttp import web

from upstatd.api import envelopes, errors, forwarded, idempotency
from upstatd.api.bodies import BODY_TIMEOUT, MAX_BODY, refuse_unknown_query, respond
from upstatd.api.errors import ApiError
from upstatd.errors import DomainError
from upstatd.api.ratelimit import headers as ratelimit_headers
from upstatd.api.routes import ROUTES
from upstatd.ids import new_id
from upstatd.store.writer import Unavailable, patient

log = structlog.get_logger("upstatd.api")

__all__ = ["MAX_BODY", "CONTEXT", "REQUEST_ID", "VERSION", "build_app", "api_middleware"]

CONTEXT = web.AppKey("context", Any)
TOKEN = web.RequestKey("token", Any)  # the authenticated Token, for handlers
STARTED_MS = web.AppKey("started_ms", int)  # idempotency: rows left running before this are orphans
REQUEST_ID = web.RequestKey("request_id", str)
VERSION = web.RequestKey("version", str)  # the Upstat-Version this request is answered in
VERSION_HEADER = "Upstat-Version"


def build_app(health: Callable[[], dict], context: Any = None, trusted_proxies: Sequence[str] = (),
              body_timeout: float = 30.0, metrics: Any = None,
              metrics_settings: Callable[[], Any] | None = None, regions: Any = None) -> web.Application:
    """`trusted_proxies`: networks whose X-Forwarded-For and -Proto are believed (api/forwarded.py).
    `metrics`: an upstatd.metrics.Metrics, served at /metrics as `metrics_settings()` (read at each
    request: a reload applies) says."""
    middlewares = [api_middleware]
    if trusted_proxies:  # none: not even a middleware on the ping path
        networks = [ipaddress.ip_network(network, strict=False) for network in trusted_proxies]
        middlewares.insert(0, forwarded.middleware(networks))
    app = web.Application(client_max_size=MAX_BODY, middlewares=middlewares)
    app[forwarded.TRUSTED] = tuple(ipaddress.ip_network(network, strict=False) for network in trusted_proxies)
    app[CONTEXT] = context
    app[BODY_TIMEOUT] = body_timeout
    app[STARTED_MS] = context.now_ms() if context is not None else 0

    async def healthz(request: web.Request) -> web.Response:
        body = health()
        return web.json_response(body, status=200 if body["status"] == "ok" else 503,
                                 headers={"Cache-Control": "no-store"})

    app.router.add_get("/healthz", healthz)
    if metrics is not None and metrics_settings is not None:
        app.router.add_get("/metrics", metrics_handler(metrics, metrics_settings))
    if context is not None:
        from upstatd.api import ping
        app[ping.HEARTBEATS] = context.heartbeats
        app[ping.CREATOR] = ping.SlugCreator(context.heartbeat_commands.create_from_slug)
        app.router.add_route("*", "/ping/{tail:.*}", ping.handle)
        from upstatd.api import links  # acknowledge/resolve links: the token in the URL is the credential
        app[links.CONTEXT] = context
        app.router.add_route("*", links.PATH, links.handle)
        from upstatd.api import runbook_page  # the runbook pages of alerts: the signed token in the URL
        app[runbook_page.CONTEXT] = context
        app.router.add_route("*", runbook_page.PATH, runbook_page.handle)
        from upstatd.api import status_pages  # public pages and badges: no token
        status_pages.add_routes(app, context)
        from upstatd.api.routes import on_call_calendar  # the .ics feeds: the secret in the URL is the credential
        on_call_calendar.add_public_routes(app, context)
        import upstatd.api.routes.all  # noqa: F401  (the MCP tools mirror routes: the table first)
        from upstatd.mcp import http as mcp  # /mcp: its own bearer check, then the SDK (not an /api route)
        mcp.add_routes(app, context)
    if regions is not None:
        from upstatd.api import agent_endpoints  # /agent/v1: agent tokens, not API tokens
        agent_endpoints.add_routes(app, regions)
    if context is not None:
        import upstatd.api.routes.all  # noqa: F401  (registers every route)
        from upstatd.api.routes.meta import PUBLIC_ROUTES
        for item in (*ROUTES, *PUBLIC_ROUTES):
            app.router.add_route(item.method, item.path, item.handler)
    return app


def metrics_handler(metrics: Any, settings: Callable[[], Any]):
    from upstatd.metrics import CONTENT_TYPE, accepts_gzip, authorized, gzipped

    async def handle(request: web.Request) -> web.Response:
        current = settings()
        headers = {"Cache-Control": "no-store"}
        if not current.enabled:
            return web.Response(status=404, text="/metrics is not enabled (metrics: {enabled: true})\n",
                                headers=headers)
        if not authorized(request.headers.get("Authorization"), current.token):
            headers["WWW-Authenticate"] = 'Bearer realm="upstatd metrics"'
            return web.Response(status=401, text="a bearer token is required (metrics.token)\n", headers=headers)
        headers["Content-Type"] = CONTENT_TYPE
        headers["Vary"] = "Accept-Encoding"
        gzip = accepts_gzip(request.headers.get("Accept-Encoding"))
        if gzip:  # Prometheus asks: ~14 times smaller
            headers["Content-Encoding"] = "gzip"
        if request.method == "HEAD":  # the headers only: no scrape
            return web.Response(headers=headers)
        response = web.StreamResponse(headers=headers)  # chunked: 100,000 monitors are ~110 MB
        await response.prepare(request)
        try:
            pieces = metrics.stream()
            async for piece in gzipped(pieces) if gzip else pieces:
                await response.write(piece)
            await response.write_eof()
        except ConnectionResetError:  # the scraper went away (its scrape_timeout): nothing to answer
            log.info("metrics.scrape_abandoned", remote_addr=request.remote)
        return response
    return handle


_PERMISSIONS: dict[Any, tuple[str, str]] = {}  # handler -> (resource, action), filled on first use
_PUBLIC: set[Any] = set()
_QUERIES: dict[Any, Any] = {}  # handler -> its route's query Struct (None: it takes no query parameters)


def query_of(handler: Any) -> Any:
    if not _QUERIES:
        from upstatd.api.routes.meta import PUBLIC_ROUTES
        _QUERIES.update({item.handler: item.query for item in (*ROUTES, *PUBLIC_ROUTES)})
    return _QUERIES.get(handler)


def permission_of(handler: Any) -> tuple[str, str] | None:
    if not _PERMISSIONS:
        _PERMISSIONS.update({item.handler: (item.resource, item.action) for item in ROUTES})
    return _PERMISSIONS.get(handler)


def is_public(handler: Any) -> bool:
    if not _PUBLIC:
        from upstatd.api.routes.meta import PUBLIC_ROUTES
        _PUBLIC.update(item.handler for item in PUBLIC_ROUTES)
    return handler in _PUBLIC


@web.middleware
async def api_middleware(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith("/api/") and request.path != "/api" and \
            envelopes.renderer_for(request.path) is None:  # a dialect's own prefix (/v1) is the API too
        return await handler(request)
    request_id = new_id("req")
    request[REQUEST_ID] = request_id
    headers: dict[str, str] = {"Request-Id": request_id}
    context = request.app[CONTEXT]
    try:
        failure = request.match_info.http_exception
        if failure is not None:
            raise route_error(request, failure)
        version = choose_version(request, context)
        headers[VERSION_HEADER] = version
        request[VERSION] = version
        if is_public(request.match_info.handler):
            response = await answer(request, handler)
        else:
            own = envelopes.authenticator_for(request.path)  # a dialect's own key header
            token = await (context.authenticate(request) if own is None else own(request, context))
            request[TOKEN] = token
            headers.update(ratelimit_headers(context.limiter.hit(token.id, context.clock.time())))
            needed = permission_of(request.match_info.handler)
            if needed is not None and not context.allows(token, *needed):
                raise errors.forbidden(*needed)
            if request.method in READS:
                response = await answer(request, handler)
            else:
                response = await write(request, context, token, handler)
    except Exception as exc:
        response = error_response(request, exc)
    response.headers.update(headers)
    response.headers.setdefault(VERSION_HEADER, context.version if context else upstatd.API_VERSIONS[-1])
    if "X-RateLimit-Limit" not in response.headers and context is not None:
        response.headers.update(context.anonymous_rate_limit_headers())
    response.headers["Cache-Control"] = "no-store"
    return response


READS = frozenset(("GET", "HEAD", "OPTIONS"))
WRITE_PATIENCE = 4.0  # s: an API write whose job the database has not started by then answers 503


async def write(request: web.Request, context: Any, token: Any, handler) -> web.StreamResponse:
    """A request that writes: refused at once while the writer is failing (disk full),
    and its jobs refused if the database has not started them within WRITE_PATIENCE
    (store.writer.patient). Either way the answer is a 503 with Retry-After and the
    change is never applied later. Reads go on answering."""
    if context.writer.failing:
        raise errors.unavailable("the database cannot be written now (is the disk full?)")
    with patient(WRITE_PATIENCE):
        if idempotency.applies(request):
            return await idempotency.run(request, context, token.id, request.app[STARTED_MS],
                                         lambda: answer(request, handler))
        return await answer(request, handler)


async def answer(request: web.Request, handler) -> web.StreamResponse:
    """The handler's response, or its failure as the error envelope (so that idempotency
    can store a 404 or 409 the same way as a success)."""
    try:
        # once for every route, like the body a part of the input: a route that declares
        # no query Struct takes no query parameter (a 400, never stored by idempotency)
        refuse_unknown_query(request, query_of(request.match_info.handler))
        return await handler(request)
    except Exception as exc:
        return error_response(request, exc)


def error_response(request: web.Request, exc: Exception) -> web.Response:
    request_id = request[REQUEST_ID]
    failure = failure_of(exc, request_id, method=request.method, path=request.path, remote_addr=request.remote,
                         route_error=lambda http: route_error(request, http))
    render = envelopes.renderer_for(request.path)  # a dialect's path: its own envelope
    if render is not None:
        status, body = render(failure, request_id)
        return respond(body, status, headers=failure.headers)
    return respond(failure.body(request_id), failure.status, headers=failure.headers)


def failure_of(exc: Exception, request_id: str, route_error: Callable[[web.HTTPException], ApiError] | None = None,
               **where: Any) -> ApiError:
    """The one mapping of any failure to the API's error (the MCP tools' too); `where` (method,
    path, ...) goes into the logs."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DomainError):
        return errors.from_domain(exc)
    if isinstance(exc, Unavailable):
        log.warning("api.write_refused", request_id=request_id, error=str(exc), **where)
        return errors.unavailable(str(exc))
    if isinstance(exc, sqlite3.OperationalError):  # the disk or a lock, not a bug: nothing was applied
        log.warning("api.storage_failed", request_id=request_id, error=str(exc), **where)
        return errors.unavailable(f"the database refused the change ({exc})")
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return errors.too_large(MAX_BODY)
    if isinstance(exc, web.HTTPException) and route_error is not None:
        return route_error(exc)
    # a bug: say so without details, log them
    log.error("api.request_failed", request_id=request_id, exc_info=exc, **where)
    return errors.internal(request_id)


def route_error(request: web.Request, exc: web.HTTPException) -> ApiError:
    if exc.status == 405:
        allowed = sorted(getattr(exc, "allowed_methods", ()) or ())
        return ApiError(405, "invalid_request_error", "method_not_allowed",
                        f"{request.method} is not allowed on {request.path}; allowed: {', '.join(allowed)}",
                        headers={"Allow": ", ".join(allowed)})
    if exc.status == 404:
        return ApiError(404, "invalid_request_error", "route_missing",
                        f"no such route: {request.method} {request.path}; the routes are listed "
                        f"in /api/openapi.json")
    if exc.status == 413:
        return errors.too_large(MAX_BODY)
    return ApiError(exc.status, "invalid_request_error" if exc.status < 500 else "api_error", "http_error",
                    exc.reason)


def choose_version(request: web.Request, context: Any) -> str:
    asked = request.headers.get(VERSION_HEADER)
    if asked is None:
        return context.version
    if asked not in upstatd.API_VERSIONS:
        raise ApiError(400, "invalid_request_error", "version_invalid",
                       f"unknown {VERSION_HEADER} '{asked}'; supported: {', '.join(upstatd.API_VERSIONS)} "
                       f"(this installation is pinned to {context.version})",
                       param=VERSION_HEADER)
    return asked
