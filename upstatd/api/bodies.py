"""Request bodies and query strings in, JSON out: every failure names its param."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from upstatd.api.errors import ApiError, invalid

T = TypeVar("T")
_AT = re.compile(r" - at `\$\.?([^`]*)`$")
_UNKNOWN = re.compile(r"Object contains unknown field `([^`]+)`")
_encoder = msgspec.json.Encoder()


def error_param(message: str) -> tuple[str, str | None]:
    """msgspec's 'Expected `int`, got `str` - at `$.interval_seconds`' -> (message, param)."""
    param = None
    match = _AT.search(message)
    if match:
        param = match.group(1).replace("[", ".").replace("]", "") or None
        message = message[:match.start()]
    unknown = _UNKNOWN.search(message)
    if unknown:
        param = f"{param}.{unknown.group(1)}" if param else unknown.group(1)
        message = f"unknown parameter '{unknown.group(1)}'"
    return message[0].lower() + message[1:] if message else message, param


async def read_json(request: web.Request, schema: type[T]) -> T:
    raw = await request.read()
    if not raw.strip():
        raw = b"{}"
    elif request.content_type != "application/json":
        raise ApiError(400, "invalid_request_error", "content_type_invalid",
                       f"send the body as application/json, not {request.content_type or 'nothing'}")
    try:
        return msgspec.json.decode(raw, type=schema)
    except msgspec.ValidationError as exc:
        message, param = error_param(str(exc))
        raise invalid(message, param) from None
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_request_error", "body_invalid_json",
                       f"the body is not valid JSON: {exc}") from None


def read_query(request: web.Request, schema: type[T]) -> T:
    """Query parameters into a Struct; values are strings, converted by msgspec's `strict=False`."""
    raw: dict[str, Any] = {}
    for name in request.query:
        values = request.query.getall(name)
        raw[name] = values if len(values) > 1 else values[0]
    try:
        return msgspec.convert(raw, schema, strict=False)
    except msgspec.ValidationError as exc:
        message, param = error_param(str(exc))
        raise invalid(message, param) from None


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=_encoder.encode(body), status=status, content_type="application/json",
                        headers=headers)
