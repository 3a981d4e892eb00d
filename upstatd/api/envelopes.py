"""Whose error envelope a path is answered in.

A dialect (upstatd/api/dialects/) answers in another product's shapes, its errors
too: it registers its path prefixes with a renderer, and every error under them
(a 401 from the middleware as much as a handler's 422) is rendered by it instead
of the Stripe-style envelope of api/errors.py. Such paths are left out of
/api/openapi.json, whose error schema is upstatd's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from upstatd.api.errors import ApiError

# (the failure, the request id) -> (status, body)
Renderer = Callable[[ApiError, str], tuple[int, Any]]

_RENDERERS: dict[str, Renderer] = {}


def register(prefix: str, render: Renderer) -> None:
    """`prefix` ends with "/": "/api/v2/" covers /api/v2/monitors and below."""
    _RENDERERS[prefix] = render


def renderer_for(path: str) -> Renderer | None:
    for prefix, render in _RENDERERS.items():
        if path.startswith(prefix):
            return render
    return None


def in_upstatd_shape(path: str) -> bool:
    """Whether `path` answers in upstatd's own shapes (and so belongs in /api/openapi.json)."""
    return renderer_for(path) is None
