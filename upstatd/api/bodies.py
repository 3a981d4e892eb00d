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

import asyncio
import re
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from upstatd.api import explain
from upstatd.api.errors import ApiError, invalid, too_large

T = TypeVar("T")
MAX_BODY = 1024 * 1024  # bytes: aiohttp's client_max_size, so request.read() stops there
BODY_TIMEOUT = web.AppKey("body_timeout", float)  # s: server.body_timeout
MAX_DEPTH = 32          # levels of arrays and objects a body may nest (the top-level object is 1)
JSON_TYPES = ("application/json",)
_encoder = msgspec.json.Encoder()


async def read_body(request: web.Request) -> bytes:
    """The raw body, at most MAX_BODY bytes (413 beyond), within the server's body_timeout
    (408 after). aiohttp keeps it, so reading twice is free."""
    seconds = request.app[BODY_TIMEOUT]
    try:
        async with asyncio.timeout(seconds):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large(MAX_BODY) from None
    except TimeoutError:  # answered; aiohttp then reads what still comes for a moment, and closes
        raise ApiError(408, "invalid_request_error", "body_timeout",
                       f"the body did not arrive within {seconds:g} s (server.body_timeout)") from None


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
        value = msgspec.json.decode(raw, type=schema)
    except RecursionError:  # msgspec's own limit (about 1,000 levels): deeper than MAX_DEPTH anyway
        raise too_deep(raw) from None
    except msgspec.ValidationError as exc:
        try:  # typed decoding stops at the first wrong value, maybe before broken JSON further on
            sent = msgspec.json.decode(raw)
        except msgspec.DecodeError as broken:
            raise explain.decode_error(broken) from None
        except RecursionError:
            raise too_deep(raw) from None
        check_depth(raw)
        raise explain.validation_error(exc, schema, sent, query=False) from None
    except msgspec.DecodeError as exc:
        raise explain.decode_error(exc) from None
    check_depth(raw)
    return value


_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')  # a JSON string (unrolled: linear), a bracket
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'[]{}"'))
_SQUARE = bytes.maketrans(b"{}", b"[]")  # the depth is the same with one kind of bracket
_SCAN_TOKENS = 10_000  # how far too_deep looks for the field's name; beyond, the error names none


def check_depth(raw: bytes) -> None:
    """A 400 for a body (JSON that decoded) whose arrays and objects nest deeper
    than MAX_DEPTH. C-speed passes over the bytes, a few ms for 1 MiB at worst."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:  # fewer brackets cannot nest deeper
        return
    # Keep the brackets outside strings: drop escapes (\\, then \"), keep brackets and
    # quotes, drop adjacent quote pairs (empty strings, or one string's end and the next
    # one's start: either way nothing changes sides), then every other piece between
    # quotes is outside.
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    brackets = (b"".join(text.split(b'"')[::2]) if b'"' in text else text).translate(_SQUARE)
    for _ in range(MAX_DEPTH):  # peel the innermost pairs off, one level a round
        if not brackets:
            return
        brackets = brackets.replace(b"[]", b"")
    if brackets:
        raise too_deep(raw)


def too_deep(raw: bytes) -> ApiError:
    """The 400 for a body nested deeper than MAX_DEPTH, naming the top-level field it
    is under when that shows within the first _SCAN_TOKENS strings and brackets. It
    stops there or at the level that is too deep, so it only reads the part of a body
    that msgspec could parse (every string there is closed: the scan is linear)."""
    depth, latest, param = 0, None, None
    for count, match in enumerate(_TOKENS.finditer(raw)):
        token = match.group()
        if token[0] == 0x22:  # "
            if depth == 1:
                latest = token  # the key of the value that opens next, at the top level
        elif token in (b"[", b"{"):
            depth += 1
            if depth == 2 and latest is not None:
                param = msgspec.json.decode(latest)
            if depth > MAX_DEPTH:
                break
        else:
            depth -= 1
        if count >= _SCAN_TOKENS:
            param = None
            break
    where = f"{param} nests" if param else "the body nests"
    return invalid(f"{where} arrays and objects more than {MAX_DEPTH} levels deep: flatten it", param,
                   code="parameter_too_deep")


def query_names(schema: Any) -> list[str]:
    """The query parameters a Struct takes, by their names on the wire."""
    return [field.encode_name for field in msgspec.structs.fields(schema)] if schema is not None else []


def nested_query(schema: Any, name: str) -> bool:
    """Whether `name` is one of the nested parameters `schema` takes besides its fields: its
    `nested_query` names the families (("metadata",) takes metadata[<key>]), which its handler reads."""
    return name.endswith("]") and name.split("[", 1)[0] in getattr(schema, "nested_query", ())


def refuse_unknown_query(request: web.Request, schema: Any) -> None:
    """400 naming the first query parameter that `schema` (None: no parameters) does not take."""
    known = query_names(schema)
    for name in request.query:
        if name not in known and not nested_query(schema, name):
            resource = request.match_info.route.resource
            path = resource.canonical if resource is not None else request.path  # /api/monitors/{id}
            takes = f"its parameters are: {', '.join(known)}" if known else "it takes no query parameters"
            raise invalid(f"{name} is not a known parameter of {request.method} {path} ({takes})", name)


def read_query(request: web.Request, schema: type[T]) -> T:
    """Query parameters into a Struct; values are strings, converted by msgspec's `strict=False`."""
    refuse_unknown_query(request, schema)
    raw: dict[str, Any] = {}
    for name in request.query:
        if nested_query(schema, name):
            continue
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
