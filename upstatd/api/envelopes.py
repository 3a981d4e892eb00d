"""Whose error envelope a path is answered in, and where its token comes from.

A dialect (upstatd/api/dialects/) answers in another product's shapes, its errors
too: it registers its path prefixes with a renderer, and every error under them
(a 401 from the middleware as much as a handler's 422) is rendered by it instead
of the Stripe-style envelope of api/errors.py. A dialect whose product sends the
key in a header of its own (UptimeIO's X-API-Key) registers how to read it; the
rest of the middleware (rate limit, permission, unknown query parameters, the
writer's patience) is /api's. Such paths are left out of /api/openapi.json, whose
error schema is upstatd's own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from upstatd.api.errors import ApiError

# (the failure, the request id) -> (status, body)
Renderer = Callable[[ApiError, str], tuple[int, Any]]
# (the request, the ApiContext) -> the token (a coroutine; refusals raise ApiError)
Authenticator = Callable[[Any, Any], Awaitable[Any]]

_RENDERERS: dict[str, Renderer] = {}
_AUTHENTICATORS: dict[str, Authenticator] = {}


def register(prefix: str, render: Renderer, authenticate: Authenticator | None = None) -> None:
    """`prefix` ends with "/": "/api/v2/" covers /api/v2/monitors and below. `authenticate`:
    how the dialect's requests carry their token, when not as Authorization: Bearer."""
    _RENDERERS[prefix] = render
    if authenticate is not None:
        _AUTHENTICATORS[prefix] = authenticate


def authenticator_for(path: str) -> Authenticator | None:
    for prefix, authenticate in _AUTHENTICATORS.items():
        if path.startswith(prefix):
            return authenticate
    return None


def renderer_for(path: str) -> Renderer | None:
    for prefix, render in _RENDERERS.items():
        if path.startswith(prefix):
            return render
    return None


def in_upstatd_shape(path: str) -> bool:
    """Whether `path` answers in upstatd's own shapes (and so belongs in /api/openapi.json)."""
    return renderer_for(path) is None
