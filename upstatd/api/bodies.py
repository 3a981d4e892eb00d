"""Request bodies and query strings in, JSON out: every failure names its param.

- A body is JSON (`Content-Type: application/json`, any charset parameter) of at
  most MAX_BODY bytes; an empty body reads as `{}`. Other types are a 400 naming
  the type sent, bigger bodies a 413, broken JSON a 400 saying where it broke.
- Query values are strings converted by msgspec's lax mode (`limit=5` -> 5,
  `revoked=true` -> True); a wrong one is a 400 naming the parameter and the
  value sent, like "limit must be an integer <= 100, got '101'".
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from upstatd.api.errors import ApiError, invalid, too_large

T = TypeVar("T")
MAX_BODY = 1024 * 1024  # bytes: aiohttp's client_max_size, so request.read() stops there
JSON_TYPES = ("application/json",)

_AT = re.compile(r" - at `\$\.?([^`]*)`$")
_UNKNOWN = re.compile(r"Object contains unknown field `([^`]+)`")
_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_EXPECTED = re.compile(r"^Expected `([^`]+)`(.*?)(?:, got `\w+`)?$")
_KINDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
          "array": "given once", "object": "an object"}
_encoder = msgspec.json.Encoder()


def error_param(message: str) -> tuple[str, str | None]:
    """msgspec's 'Expected `int`, got `str` - at `$.interval_seconds`' -> (message, param);
    unknown and missing fields name the field itself: `confirmation.failures`."""
    param = None
    match = _AT.search(message)
    if match:
        param = match.group(1).replace("[", ".").replace("]", "") or None
        message = message[:match.start()]
    unknown = _UNKNOWN.search(message)
    if unknown:
        param = f"{param}.{unknown.group(1)}" if param else unknown.group(1)
        message = f"unknown parameter '{unknown.group(1)}'"
    missing = _MISSING.search(message)
    if missing:
        param = f"{param}.{missing.group(1)}" if param else missing.group(1)
        message = f"missing required field '{missing.group(1)}'"
    return message[0].lower() + message[1:] if message else message, param


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
        message, param = error_param(str(exc))
        raise invalid(message, param) from None
    except msgspec.DecodeError as exc:
        detail = str(exc)
        detail = detail[0].lower() + detail[1:] if detail else "malformed"
        raise ApiError(400, "invalid_request_error", "body_invalid_json",
                       f"the body is not valid JSON: {detail}") from None


def query_message(message: str, param: str | None, raw: dict[str, Any]) -> str:
    """'expected `int` >= 1' for limit=0 -> "limit must be an integer >= 1, got '0'"."""
    if param is None or param not in raw:
        return message
    value = raw[param]
    if isinstance(value, list):
        return f"{param} was given {len(value)} times; give it once"
    match = _EXPECTED.match(message[0].upper() + message[1:])
    if match:
        kinds = [_KINDS.get(kind.strip(), f"a {kind.strip()}") for kind in match.group(1).split("|")
                 if kind.strip() != "null"]
        return f"{param} must be {' or '.join(kinds) or 'empty'}{match.group(2)}, got '{value}'"
    return f"{param}: {message}, got '{value}'"


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
        raise invalid(query_message(message, param, raw), param) from None


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
