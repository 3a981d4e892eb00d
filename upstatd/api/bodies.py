"""Request bodies and query strings in, JSON out: every failure names its param.

- A body is JSON (`Content-Type: application/json`, any charset parameter) of at
  most MAX_BODY bytes; an empty body reads as `{}`. Other types are a 400 naming
  the type sent, bigger bodies a 413, broken JSON a 400 saying where it broke.
- Query values are strings converted by msgspec's lax mode (`limit=5` -> 5,
  `revoked=true` -> True). A name the route does not take is a 400 on every
  route (the middleware calls `refuse_unknown_query` with the route's Struct,
  or None when it takes no query parameter).
- msgspec's errors are put in the API's words by upstatd.api.explain: a wrong
  type is a 400 ("limit must be an integer, got 'abc'"), a value out of its
  declared bounds a 422 ("limit must be between 1 and 100, got '0'").
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from aiohttp import web

from upstatd.api import explain
from upstatd.api.errors import ApiError, invalid, too_large

T = TypeVar("T")
MAX_BODY = 1024 * 1024  # bytes: aiohttp's client_max_size, so request.read() stops there
JSON_TYPES = ("application/json",)
_encoder = msgspec.json.Encoder()


async def read_body(request: web.Request) -> bytes:
    """The raw body, at most MAX_BODY bytes (413 beyond). aiohttp keeps it, so reading twice is free."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large(MAX_BODY) from None


async def read_json(request: web.Request, schema: type[T]) -> T:
    raw = await read_body(request)
    if not raw.strip():
        raw = b"{}"
    elif request.content_type not in JSON_TYPES:
        sent = request.headers.get("Content-Type")
        raise ApiError(400, "invalid_request_error", "content_type_invalid",
                       f"send the body as application/json, not {sent or 'without a Content-Type'}",
                       "Content-Type")
    try:
        return msgspec.json.decode(raw, type=schema)
    except msgspec.ValidationError as exc:
        try:  # typed decoding stops at the first wrong value, maybe before broken JSON further on
            sent = msgspec.json.decode(raw)
        except msgspec.DecodeError as broken:
            raise explain.decode_error(broken) from None
        raise explain.validation_error(exc, schema, sent, query=False) from None
    except msgspec.DecodeError as exc:
        raise explain.decode_error(exc) from None


def query_names(schema: Any) -> list[str]:
    """The query parameters a Struct takes, by their names on the wire."""
    return [field.encode_name for field in msgspec.structs.fields(schema)] if schema is not None else []


def refuse_unknown_query(request: web.Request, schema: Any) -> None:
    """400 naming the first query parameter that `schema` (None: no parameters) does not take."""
    known = query_names(schema)
    for name in request.query:
        if name not in known:
            resource = request.match_info.route.resource
            path = resource.canonical if resource is not None else request.path  # /api/monitors/{id}
            takes = f"its parameters are: {', '.join(known)}" if known else "it takes no query parameters"
            raise invalid(f"{name} is not a known parameter of {request.method} {path} ({takes})", name)


def read_query(request: web.Request, schema: type[T]) -> T:
    """Query parameters into a Struct; values are strings, converted by msgspec's `strict=False`."""
    refuse_unknown_query(request, schema)
    raw: dict[str, Any] = {}
    for name in request.query:
        values = request.query.getall(name)
        if len(values) > 1:  # no query Struct takes a list
            raise invalid(f"{name} was given {len(values)} times; give it once", name)
        raw[name] = values[0]
    try:
        return msgspec.convert(raw, schema, strict=False)
    except msgspec.ValidationError as exc:
        raise explain.validation_error(exc, schema, raw, query=True) from None


MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z


def future_ms(value: int | None, now_ms: int, param: str) -> int | None:
    """A Unix-seconds time that must lie ahead (expires_at, resume_at), in ms."""
    if value is None:
        return None
    if value * 1000 <= now_ms:
        raise invalid(f"{param} must be in the future (Unix seconds; now is {now_ms // 1000})", param)
    if value > MAX_TIMESTAMP:
        raise invalid(f"{param} must be at most {MAX_TIMESTAMP} (Unix seconds)", param)
    return value * 1000


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=_encoder.encode(body), status=status, content_type="application/json",
                        headers=headers)


def no_content() -> web.Response:
    """204: what DELETE answers, with no body."""
    return web.Response(status=204)
