"""The HTTP listener: `/healthz`, and the REST API under `/api`.

Every `/api` request goes through one middleware, in this order: request id,
route resolution (404/405), version, authentication, rate limit, permission,
handler. Any failure on the way becomes the error envelope, and every
response carries `Request-Id`, `Upstat-Version` and `X-RateLimit-*`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from aiohttp import web

from upstatd.api import errors
from upstatd.api.bodies import respond
from upstatd.api.bootstrap import VERSIONS
from upstatd.api.errors import ApiError
from upstatd.api.ratelimit import headers as ratelimit_headers
from upstatd.api.routes import ROUTES
from upstatd.ids import new_id

log = structlog.get_logger("upstatd.api")

MAX_BODY = 1024 * 1024
CONTEXT = web.AppKey("context", Any)


def build_app(health: Callable[[], dict], context: Any = None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[api_middleware])
    app[CONTEXT] = context

    async def healthz(request: web.Request) -> web.Response:
        body = health()
        return web.json_response(body, status=200 if body["status"] == "ok" else 503,
                                 headers={"Cache-Control": "no-store"})

    app.router.add_get("/healthz", healthz)
    if context is not None:
        import upstatd.api.routes.all  # noqa: F401  (registers every route)
        for item in ROUTES:
            app.router.add_route(item.method, item.path, item.handler)
    return app


_PERMISSIONS = {}  # handler -> (resource, action), filled on first use


def permission_of(handler: Any) -> tuple[str, str] | None:
    if not _PERMISSIONS:
        _PERMISSIONS.update({item.handler: (item.resource, item.action) for item in ROUTES})
    return _PERMISSIONS.get(handler)


@web.middleware
async def api_middleware(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith("/api/") and request.path != "/api":
        return await handler(request)
    request_id = new_id("req")
    request["request_id"] = request_id
    headers: dict[str, str] = {"Request-Id": request_id}
    context = request.app[CONTEXT]
    try:
        failure = request.match_info.http_exception
        if failure is not None:
            raise route_error(request, failure)
        version = choose_version(request, context)
        headers["Upstat-Version"] = version
        token = await context.authenticate(request)
        request["token"] = token
        headers.update(ratelimit_headers(context.limiter.hit(token.id, context.clock.time())))
        needed = permission_of(request.match_info.handler)
        if needed is not None and not context.allows(token, *needed):
            raise errors.forbidden(*needed)
        response = await handler(request)
    except ApiError as exc:
        headers.update(exc.headers)
        response = respond(exc.body(request_id), exc.status)
    except web.HTTPRequestEntityTooLarge:
        exc = ApiError(413, "invalid_request_error", "body_too_large",
                       f"the body is larger than {MAX_BODY // 1024} KiB")
        response = respond(exc.body(request_id), exc.status)
    except web.HTTPException as exc:
        failure = route_error(request, exc)
        response = respond(failure.body(request_id), failure.status)
    except Exception:  # a bug: say so without details, log them
        log.exception("api.request_failed", request_id=request_id, method=request.method, path=request.path)
        exc = ApiError(500, "api_error", "internal_error",
                       f"something went wrong on our side; quote request id {request_id}")
        response = respond(exc.body(request_id), exc.status)
    response.headers.update(headers)
    response.headers.setdefault("Upstat-Version", context.version if context else VERSIONS[-1])
    response.headers["Cache-Control"] = "no-store"
    return response


def route_error(request: web.Request, exc: web.HTTPException) -> ApiError:
    if exc.status == 405:
        allowed = sorted(getattr(exc, "allowed_methods", ()) or ())
        return ApiError(405, "invalid_request_error", "method_not_allowed",
                        f"{request.method} is not allowed on {request.path}; allowed: {', '.join(allowed)}",
                        headers={"Allow": ", ".join(allowed)})
    if exc.status == 404:
        return errors.not_found(f"no such route: {request.method} {request.path}")
    return ApiError(exc.status, "invalid_request_error", "http_error", exc.reason)


def choose_version(request: web.Request, context: Any) -> str:
    asked = request.headers.get("Upstat-Version")
    if asked is None:
        return context.version
    if asked not in VERSIONS:
        raise ApiError(400, "invalid_request_error", "version_invalid",
                       f"unknown Upstat-Version '{asked}'; supported: {', '.join(VERSIONS)}",
                       param="Upstat-Version")
    return asked


class HttpListener:
    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.host = host
        self.port = port

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port, reuse_address=True)
        await site.start()

    async def stop(self) -> None:
        await self.runner.cleanup()
