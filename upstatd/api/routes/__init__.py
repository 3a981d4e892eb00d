"""The API's routes, one module per resource. Each route is declared once with
the permission it needs and the schemas it takes and returns; the middleware
checks the permission and openapi.py reads the same table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from aiohttp import web

from upstatd import permissions

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Route(NamedTuple):
    method: str
    path: str
    handler: Handler
    resource: str          # permission resource, e.g. "monitors"
    action: str            # read | create | update | delete
    summary: str
    query: Any = None      # msgspec Struct of query parameters
    body: Any = None       # msgspec Struct of the JSON body
    response: Any = None   # msgspec Struct (or list envelope) returned
    status: int = 200


ROUTES: list[Route] = []


def route(method: str, path: str, resource: str, action: str, summary: str, *, query: Any = None,
          body: Any = None, response: Any = None, status: int = 200) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if resource:
            permissions.declare(resource)
        ROUTES.append(Route(method, path, handler, resource, action, summary, query, body, response, status))
        return handler
    return register


def partial_update(path: str, resource: str, summary: str, *, body: Any, response: Any
                   ) -> Callable[[Handler], Handler]:
    """PATCH and PUT on one handler: PUT is the same partial update (the API's convention)."""
    def register(handler: Handler) -> Handler:
        route("PATCH", path, resource, "update", summary, body=body, response=response)(handler)
        route("PUT", path, resource, "update", "Same as PATCH (a partial update)", body=body,
              response=response)(handler)
        return handler
    return register


def context(request: web.Request) -> Any:
    """What the handlers reach (api/context.py ApiContext): the commands, the read database."""
    from upstatd.api.server import CONTEXT  # not at import: the server imports the route table
    return request.app[CONTEXT]
