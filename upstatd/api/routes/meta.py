"""Routes about the API itself, public (no token, not counted by the rate limit):

- GET /api/openapi.json: the OpenAPI 3.1 document of every route, built once
  from the route table (the same msgspec Structs that validate requests).

These are kept apart from ROUTES, whose every entry needs a permission; the
middleware lets them through without authentication and openapi.py marks them
`security: []`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from upstatd.api import openapi
from upstatd.api.routes import ROUTES, Route

PUBLIC_ROUTES: list[Route] = []

_documents: dict[tuple[str | None, int], bytes] = {}  # (version, routes) -> encoded document


def public_route(method: str, path: str, summary: str, *, response: Any = None, status: int = 200):
    def register(handler):
        PUBLIC_ROUTES.append(Route(method, path, handler, "", "read", summary, None, None, response, status))
        return handler
    return register


def openapi_document(version: str | None = None) -> dict:
    # upstatd's own routes: a dialect's (api/dialects/, not under /api/) answers in its own envelope
    return openapi.document([item for item in ROUTES if item.path.startswith("/api/")], PUBLIC_ROUTES, version)


@public_route("GET", "/api/openapi.json", "The OpenAPI 3.1 document of this API")
async def get_openapi(request: web.Request) -> web.Response:
    from upstatd.api.server import VERSION
    key = (request.get(VERSION), len(ROUTES))
    body = _documents.get(key)
    if body is None:
        body = _documents[key] = msgspec.json.encode(openapi_document(key[0]))
    return web.Response(body=body, content_type="application/json")
