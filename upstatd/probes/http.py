"""HTTP(S) probe: a lean HTTP/1.1 client on an asyncio protocol, parsed by httptools.

Not aiohttp's client: it spends ~0.5 ms CPU per fresh-connection request
against ~0.15 ms for this shape (DESIGN.md). Every probe opens a fresh
connection, sends `Connection: close` and keeps no pool: a probe measures the
whole path (resolve, connect, TLS) every time.

The body checks (keyword, keyword_absent, regex, json) are in http_body; this
module reads the answer (gzip/deflate-decoded, bounded) and hands them the body.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httptools
import msgspec

from upstatd import __version__
from upstatd.config.check import (
    Invalid, Path, Problems, block, boolean, duration, format_duration, integer, scalar_text,
    take, text, text_map, type_name,
)
from upstatd.probes.http_body import BODY_CHECKS, MAX_BODY, BodyChecks, _body_checks, judge_body
from upstatd.probes.proxy import Proxy, ProxySetting, Tunnel, connect_request, parse_proxy, route
from upstatd.probes.resolve import literal_addresses, resolve
from upstatd.probes.result import ProbeError, ProbeResult, Phases
from upstatd.probes.tcp import connect, split_host_port
from upstatd.probes.tls import (
    DEFAULT_EXPIRY_DAYS, CaFile, client_context, handshake, note_certificate, parse_ca_file,
    parse_expiry_days, parse_ip_version, peer_not_after, warm_context,
)

MAX_HEAD = 64 * 1024    # status line and headers, 1xx answers included
MAX_WIRE = MAX_HEAD + 4 * MAX_BODY  # all bytes of one answer (chunk framing, trailers)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
USER_AGENT = f"upstatd/{__version__}"
REDIRECTS = frozenset((301, 302, 303, 307, 308))
OPTION_KEYS = ("method", "headers", "body", "auth", "expected_status", "follow_redirects",
               "max_redirects", "verify_tls", "ca_file", "tls_expiry_days", "ip_version",
               "keyword", "keyword_absent", "regex", "json", "max_response_time", "proxy")

_TOKEN_PATTERN = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
_TOKEN = re.compile(_TOKEN_PATTERN[1:-1])
_STATUS_CLASS = re.compile(r"([1-5])xx", re.IGNORECASE)
_STATUS_RANGE = re.compile(r"(\d{3})\s*-\s*(\d{3})")
# characters left alone when quoting a path: reserved + unreserved + existing escapes
_PATH_SAFE = "/?[]@!$&'()*+,;=:-._~%"
# headers whose meaning is tied to the origin: not forwarded to another host
_ORIGIN_HEADERS = frozenset(("authorization", "cookie", "proxy-authorization", "host"))


class HttpTarget(msgspec.Struct, frozen=True):
    url: str
    method: str
    tls: bool
    host: str                          # name or IP literal without brackets; also SNI
    port: int
    headers: tuple[tuple[str, str], ...]  # the user's (and auth's), kept to build redirect hops
    body: bytes
    request: bytes                     # the first hop's request, ready to write
    expected: tuple[tuple[int, int], ...]  # inclusive status ranges
    expected_text: str                 # "2xx" as the config said it, for messages
    follow_redirects: bool
    max_redirects: int
    verify_tls: bool
    ca_file: CaFile | None = None
    tls_expiry_days: int = DEFAULT_EXPIRY_DAYS
    family: int = 0                    # ip_version: socket.AF_INET, AF_INET6 or 0
    checks: BodyChecks | None = None   # None: the body is not kept at all
    max_response_time: float | None = None  # seconds; slower correct answers are degraded
    proxy: ProxySetting | None = None  # the `proxy` option, kept to route redirect hops
    via: Proxy | None = None           # the proxy of this hop (the first one here); None: direct


# -- config ----------------------------------------------------------------------

def prepare(url: Any, options: Any, path: Path, problems: Problems,
            environ: Mapping[str, str] = os.environ) -> HttpTarget | None:
    """`environ` is read only for `proxy: env`, here: once per config load, never per probe."""
    before = len(problems.items)
    where = path + ("http",)
    opts = block(options, where, problems, known=OPTION_KEYS)
    try:
        tls, host, port, host_header, request_target = parse_url(url)
    except Invalid as exc:
        problems.add(path + ("url",), str(exc))
    if opts is None:
        return None
    method = take(opts, "method", _method, where, problems, "GET")
    headers = take(opts, "headers", _headers, where, problems, {})
    body = take(opts, "body", text(max_len=MAX_BODY), where, problems, "").encode()
    authorization = take(opts, "auth", _auth, where, problems, None)
    expected_text, expected = take(opts, "expected_status", _expected_status, where, problems,
                                   ("2xx", ((200, 299),)))
    follow = take(opts, "follow_redirects", boolean, where, problems, True)
    max_redirects = take(opts, "max_redirects", integer(0, 30), where, problems, 10)
    verify = take(opts, "verify_tls", boolean, where, problems, True)
    ca_file = take(opts, "ca_file", parse_ca_file, where, problems, None)
    expiry_days = take(opts, "tls_expiry_days", parse_expiry_days, where, problems, DEFAULT_EXPIRY_DAYS)
    family = take(opts, "ip_version", parse_ip_version, where, problems, 0)
    max_time = take(opts, "max_response_time", duration(min=0.001), where, problems, None)
    checks = _body_checks(opts, where, problems)
    proxy = take(opts, "proxy", lambda value: parse_proxy(value, environ), where, problems, None)
    if proxy is not None and any(name.lower() == "proxy-authorization" for name in headers):
        problems.add(where + ("headers",), "Proxy-Authorization comes from the credentials in proxy "
                                           "(http://user:password@host:port): remove it from headers")
    if authorization is not None and any(name.lower() == "authorization" for name in headers):
        problems.add(where + ("auth",), "conflicts with the Authorization header in headers: keep one of them")
    if proxy is not None and family:
        problems.add(where + ("ip_version",), "cannot be kept through a proxy, which picks the target's address "
                                              "itself: remove ip_version or proxy")
    if checks is not None and method == "HEAD":
        used = ", ".join(key for key in BODY_CHECKS if opts.get(key) is not None)
        problems.add(where + ("method",), f"a HEAD answer has no body to check {used} against: use GET")
    if len(problems.items) != before:
        return None
    if tls:
        warm_context(verify, ca_file, _ALPN)
    header_pairs = tuple(headers.items())
    if authorization is not None:
        header_pairs += (("Authorization", authorization),)
    via = route(proxy, tls, host, port)
    return HttpTarget(
        url=url, method=method, tls=tls, host=host, port=port, headers=header_pairs, body=body,
        request=hop_request(method, tls, request_target, host_header, header_pairs, body, checks is not None, via),
        expected=expected, expected_text=expected_text, follow_redirects=follow,
        max_redirects=max_redirects, verify_tls=verify, ca_file=ca_file, tls_expiry_days=expiry_days,
        family=family, checks=checks, max_response_time=max_time, proxy=proxy, via=via)


URL_SCHEMA = {"pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@]+([/?#]\S*)?$", "maxLength": 2000,
              "description": "http:// or https:// URL"}


PROXY_SCHEMA = {"anyOf": [
    {"const": "env", "description": "the proxies of upstatd's environment: https_proxy/HTTPS_PROXY, "
                                    "http_proxy/HTTP_PROXY and no_proxy/NO_PROXY"},
    {"type": "string", "maxLength": 2000,
     "pattern": r"^\s*[Hh][Tt][Tt][Pp]://([^\s/?#@:]+(:[^\s/?#@]*)?@)?"
                r"([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\]):[1-9][0-9]{0,4}/?\s*$",
     "description": "http://[user:password@]host:port of an HTTP proxy"}]}


def _any_case(*words: str) -> str:
    """A regex matching any of `words` in any case (JSON Schema patterns have no flags)."""
    return "^(" + "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)
                          for word in words) + ")$"


def options_schema() -> dict:
    """The `http` block's JSON Schema (the OpenAPI document): what the parsers above check,
    as far as JSON Schema can say it (docs/api.md, OpenAPI, lists the rest)."""
    from upstatd.probes.http_body import JSON_PATH_PATTERN
    from upstatd.probes.tls import CA_FILE_SCHEMA, EXPIRY_DAYS_SCHEMA, IP_VERSION_SCHEMA
    status = [{"type": "integer", "minimum": 100, "maximum": 599},
              {"type": "string", "pattern": r"^\s*([1-5][xX][xX]|[1-5][0-9][0-9])\s*$",
               "description": "A status code, or a class like 2xx; ranges like 200-299 (low <= high) also work"}]
    text_value = {"type": "string", "minLength": 1, "maxLength": 1000}
    check = {"type": "object", "additionalProperties": False, "required": ["path"],
             "properties": {"path": {"type": "string", "pattern": JSON_PATH_PATTERN},
                            "equals": {}, "not_equals": {}, "exists": {"type": "boolean"}},
             "minProperties": 2, "maxProperties": 2,
             "description": 'path and exactly one of equals, not_equals, exists: {path: "$.status", equals: "ok"}'}
    body_checks = ("keyword", "keyword_absent", "regex", "json")
    return {"type": "object", "additionalProperties": False, "properties": {
        "method": {"enum": list(METHODS)},
        "headers": {"type": "object",
                    "propertyNames": {"pattern": _TOKEN_PATTERN,
                                      "not": {"pattern": _any_case("content-length", "transfer-encoding")}},
                    "additionalProperties": {"anyOf": [{"type": "string", "pattern": "^[^\\r\\n\\u0000]*$"},
                                                       {"type": ["number", "boolean"]}]},
                    "description": "Header names and values (Content-Length and Transfer-Encoding come from the body)"},
        "body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY},
        "auth": {"oneOf": [
            {"type": "object", "additionalProperties": False, "required": ["bearer"],
             "properties": {"bearer": {"type": "string", "pattern": "^[!-~]+$"}}},
            {"type": "object", "additionalProperties": False, "required": ["basic"],
             "properties": {"basic": {
                 "type": "object", "additionalProperties": False, "required": ["username", "password"],
                 "properties": {"username": {"type": "string", "pattern": "^[ -9;-~]+$"},
                                "password": {"type": "string", "pattern": "^[ -~]*$"}}}}}]},
        "expected_status": {"anyOf": [*status, {"type": "array", "items": {"anyOf": status}, "minItems": 1}]},
        "follow_redirects": {"type": "boolean"},
        "max_redirects": {"type": "integer", "minimum": 0, "maximum": 30},
        "verify_tls": {"type": "boolean"},
        "ca_file": CA_FILE_SCHEMA,
        "tls_expiry_days": EXPIRY_DAYS_SCHEMA,
        "ip_version": IP_VERSION_SCHEMA,
        "keyword": text_value,
        "keyword_absent": text_value,
        "regex": {**text_value, "format": "regex", "description": "A Python regular expression"},
        "json": {"type": "array", "items": check, "minItems": 1},
        "max_response_time": {"type": "number", "minimum": 0.001, "description": "seconds"},
        "proxy": PROXY_SCHEMA},
        # auth makes the Authorization header, proxy the Proxy-Authorization one: not both
        "dependentSchemas": {
            "auth": {"properties": {"headers": {"propertyNames": {"not": {"pattern": _any_case("authorization")}}}}},
            "proxy": {"properties": {
                "headers": {"propertyNames": {"not": {"pattern": _any_case("proxy-authorization")}}},
                "ip_version": {"enum": ["auto"]}}}},
        # a HEAD answer has no body to check
        "if": {"required": ["method"], "properties": {"method": {"const": "HEAD"}}},
        "then": {"properties": {key: False for key in body_checks}}}


def parse_url(url: Any) -> tuple[bool, str, int, str, str]:
    """(tls, host, port, Host header, request target) of an http(s) URL."""
    if not isinstance(url, str):
        raise Invalid(f"must be a string, got {type_name(url)}")
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # unbalanced IPv6 brackets
        raise Invalid(f"must be an http:// or https:// URL, got '{url}'") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Invalid(f"must be an http:// or https:// URL, got '{url}'")
    host, port = split_host_port(parts.netloc, url, f"{scheme}://host/path")
    default_port = 443 if scheme == "https" else 80
    bracketed = f"[{host}]" if ":" in host else host
    host_header = bracketed if port in (None, default_port) else f"{bracketed}:{port}"
    request_target = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        request_target += "?" + quote(parts.query, safe=_PATH_SAFE)
    return scheme == "https", host, port or default_port, host_header, request_target


def hop_request(method: str, tls: bool, request_target: str, host_header: str,
                headers: tuple[tuple[str, str], ...], body: bytes, decode: bool, via: Proxy | None) -> bytes:
    """One hop's request. An http:// hop through a proxy names the whole URL (absolute
    form) and carries the proxy's credentials; an https:// one is sent inside the
    CONNECT tunnel as to the origin itself."""
    if via is not None and not tls:
        request_target = f"http://{host_header}{request_target}"
        if via.authorization:
            headers += (("Proxy-Authorization", via.authorization),)
    return build_request(method, request_target, host_header, headers, body, decode)


def build_request(method: str, request_target: str, host_header: str,
                  headers: tuple[tuple[str, str], ...], body: bytes, decode: bool = False) -> bytes:
    # lower-cased name -> (name as written, value): the user's headers replace
    # the defaults whatever their case, in the defaults' position
    fields = {"host": ("Host", host_header), "user-agent": ("User-Agent", USER_AGENT),
              "accept": ("Accept", "*/*")}
    if decode:  # only a body assertion reads the body; only then is compression worth asking for
        fields["accept-encoding"] = ("Accept-Encoding", "gzip, deflate")
    fields["connection"] = ("Connection", "close")
    for name, value in headers:
        fields[name.lower()] = (name, value)
    lines = [f"{method} {request_target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in fields.values()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _method(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in METHODS:
        shown = f"'{value}'" if isinstance(value, str) else type_name(value)
        raise Invalid(f"must be one of {', '.join(METHODS)}, got {shown}")
    return value.upper()


def _headers(value: Any) -> dict[str, str]:
    headers = text_map(value)
    for name, item in headers.items():
        if not _TOKEN.fullmatch(name):
            raise Invalid(f"'{name}' is not a valid header name")
        if any(c in item for c in "\r\n\0"):
            raise Invalid(f"the value of '{name}' must not contain line breaks")
        if name.lower() in ("content-length", "transfer-encoding"):
            raise Invalid(f"'{name}' is set by upstatd from the body; remove it")
    return headers


def _expected_status(value: Any) -> tuple[str, tuple[tuple[int, int], ...]]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise Invalid("must not be empty")
    ranges, shown = [], []
    for item in items:
        low_high = _status_range(item)
        if low_high is None:
            got = (f"'{item}'" if isinstance(item, str) else
                   str(item) if type(item) is int else type_name(item))
            raise Invalid(f"must be status codes (100-599), classes like 2xx or ranges like 200-299, got {got}")
        ranges.append(low_high)
        shown.append(str(item).lower().replace(" ", ""))
    return ", ".join(shown), tuple(sorted(set(ranges)))


def _status_range(item: Any) -> tuple[int, int] | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, str) and item.strip().isdigit():
        item = int(item)
    if isinstance(item, int):
        return (item, item) if 100 <= item <= 599 else None
    if not isinstance(item, str):
        return None
    if match := _STATUS_CLASS.fullmatch(item.strip()):
        low = int(match.group(1)) * 100
        return low, low + 99
    if match := _STATUS_RANGE.fullmatch(item.strip()):
        low, high = int(match.group(1)), int(match.group(2))
        if 100 <= low <= high <= 599:
            return low, high
    return None


def _auth(value: Any) -> str:
    """{basic: {username, password}} or {bearer: TOKEN} -> the Authorization header value.

    Messages never quote a username, password or token."""
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping with basic or bearer, got {type_name(value)}")
    for key in value:
        if key not in ("basic", "bearer"):
            raise Invalid("unknown key (expected one of: basic, bearer)", at=(key,))
    if len(value) != 1:
        raise Invalid("must have exactly one of basic, bearer")
    if "bearer" in value:
        token = _secret(value["bearer"], ("bearer",))
        if not token or any(c.isspace() or not c.isprintable() for c in token):
            raise Invalid("must be a non-empty token without spaces or line breaks", at=("bearer",))
        return f"Bearer {token}"
    basic = value["basic"]
    if not isinstance(basic, dict):
        raise Invalid(f"must be a mapping with username and password, got {type_name(basic)}", at=("basic",))
    for key in basic:
        if key not in ("username", "password"):
            raise Invalid("unknown key (expected one of: password, username)", at=("basic", key))
    for key in ("username", "password"):
        if basic.get(key) is None:
            raise Invalid(f"missing required key '{key}'", at=("basic",))
    username = _secret(basic["username"], ("basic", "username"))
    password = _secret(basic["password"], ("basic", "password"))
    if not username or ":" in username:
        raise Invalid("must be non-empty and without ':'", at=("basic", "username"))
    for key, item in (("username", username), ("password", password)):
        if any(not c.isprintable() for c in item):
            raise Invalid("must not contain control characters or line breaks", at=("basic", key))
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _secret(value: Any, at: Path) -> str:
    try:
        return scalar_text(value)  # a password of digits may be written without quotes
    except Invalid as exc:
        raise Invalid(str(exc), at=at) from None


# -- probe -----------------------------------------------------------------------

_ALPN = ("http/1.1",)


async def probe(target: HttpTarget, phases: Phases) -> ProbeResult:
    hop, seen = target, {(target.method, target.url)}
    cert_warning = None
    for redirects in range(target.max_redirects + 1):
        response = await exchange(hop, phases)
        cert_warning = response.cert_warning or cert_warning
        status = response.status
        if status == 407 and hop.via is not None and not hop.tls:
            raise ProbeError("proxy_error", f"{hop.via.name} answered 407 to {hop.method} {hop.url} "
                                            "(proxy credentials missing or refused)", status_code=407)
        if not (target.follow_redirects and status in REDIRECTS and response.location is not None):
            break
        if redirects == target.max_redirects:
            n = target.max_redirects
            raise ProbeError("invalid_response", f"more than {n} redirect{'s' if n != 1 else ''}")
        hop = redirected(hop, status, response.location)
        if (hop.method, hop.url) in seen:
            raise ProbeError("invalid_response", f"redirect loop at {hop.url}")
        seen.add((hop.method, hop.url))
    if not any(low <= status <= high for low, high in target.expected):
        raise ProbeError("status_code", f"status {status}, expected {target.expected_text}",
                         status_code=status)
    if target.checks is not None:
        if response.body_error is not None:
            raise ProbeError("invalid_response", response.body_error, status_code=status)
        failed = judge_body(target.checks, bytes(response.body), response.content_type, response.truncated)
        if failed is not None:
            raise ProbeError("keyword_missing", failed, status_code=status)
    # a certificate warning before slowness: it holds until renewal, so the
    # degraded kind does not flip with the latency of each check
    if cert_warning is not None:
        return phases.degraded("ssl_error", cert_warning, status)
    if target.max_response_time is not None:
        elapsed_ms = phases.elapsed_ms()
        if elapsed_ms > target.max_response_time * 1000:
            return phases.degraded(
                "slow_response", f"answered in {elapsed_ms:.0f}ms, above max_response_time "
                                 f"{format_duration(target.max_response_time)}", status)
    return phases.success(status)


def redirected(hop: HttpTarget, status: int, location: str) -> HttpTarget:
    """The next hop: Location resolved against the current URL, its request built here."""
    url = urljoin(hop.url, location)
    try:
        tls, host, port, host_header, request_target = parse_url(url)
    except Invalid:
        raise ProbeError("invalid_response", f"status {status} redirects to an unusable URL '{location}'") from None
    method, body, headers = hop.method, hop.body, hop.headers
    if status == 303 or (status in (301, 302) and method == "POST"):
        # what browsers do: the next request is a GET without the body
        method = "HEAD" if method == "HEAD" else "GET"
        body = b""
        headers = tuple(h for h in headers if h[0].lower() != "content-type")
    if (tls, host, port) != (hop.tls, hop.host, hop.port):
        # credentials and a Host override belong to the origin they were written for
        headers = tuple(h for h in headers if h[0].lower() not in _ORIGIN_HEADERS)
    via = route(hop.proxy, tls, host, port)  # NO_PROXY decides again for the new host
    return msgspec.structs.replace(
        hop, url=url, method=method, tls=tls, host=host, port=port, headers=headers, body=body, via=via,
        request=hop_request(method, tls, request_target, host_header, headers, body, hop.checks is not None, via))


async def exchange(hop: HttpTarget, phases: Phases) -> Response:
    """One request on a fresh connection (to the origin, or to the hop's proxy); the
    Response holds the status, the Location, and the body when an assertion needs it.

    Through a proxy, `resolve` and `connect` are the proxy's, and `connect` includes
    the CONNECT exchange of an https hop: after it the way to the target is open."""
    via = hop.via
    phases.enter("resolve")
    if via is not None:
        addresses = await _resolve_proxy(via)
    else:
        addresses = (literal_addresses(hop.host, hop.port, hop.family)
                     or await resolve(hop.host, hop.port, family=hop.family))
    phases.enter("connect")
    loop = asyncio.get_running_loop()
    response = Response(loop, head=hop.method == "HEAD", keep_body=hop.checks is not None)
    tunnel = None
    try:
        # inside the try: a deadline during the connect's last step still closes the socket
        # and settles the futures connection_lost would otherwise fail with nobody waiting
        if via is not None and hop.tls:
            authority = f"[{hop.host}]:{hop.port}" if ":" in hop.host else f"{hop.host}:{hop.port}"
            tunnel = Tunnel(loop, via, authority, MAX_HEAD)
            transport, _ = await connect(addresses, lambda: tunnel, "proxy ")
            transport.write(connect_request(authority, via, USER_AGENT))
            await tunnel.opened
        else:
            transport, _ = await connect(addresses, lambda: response, "" if via is None else "proxy ")
        if hop.tls:
            phases.enter("tls")
            # start_tls after a plain connect so TLS time is its own phase
            response.transport = await handshake(
                transport, response, client_context(hop.verify_tls, hop.ca_file, _ALPN), hop.host)
            not_after = peer_not_after(response.transport)
            if not_after is not None:  # raises ssl_error for an expired one (verify_tls: false)
                response.cert_warning = note_certificate(phases.details, not_after, hop.tls_expiry_days)
        response.transport.write(hop.request)
        phases.enter("first_byte")
        status = await response.headers_done
        if hop.follow_redirects and status in REDIRECTS and response.location is not None:
            return response  # the body of a redirect is of no interest
        phases.enter("transfer")
        await response.complete
        return response
    finally:
        response.close()
        if tunnel is not None:
            tunnel.close()
            if response.transport is None and tunnel.transport is not None:
                tunnel.transport.abort()  # refused, or TLS never started in the tunnel


async def _resolve_proxy(via: Proxy) -> list:
    try:
        return await resolve(via.host, via.port)
    except ProbeError as exc:
        raise ProbeError(exc.kind, exc.message.replace("could not resolve '", "could not resolve proxy '", 1)) from None


class Response(asyncio.Protocol):
    """Feeds the bytes to httptools and wakes the probe at two points: headers
    complete (`headers_done`, the status) and message complete (`complete`).

    Reading is bounded: MAX_HEAD bytes until the final headers (httptools has
    no limit of its own and would grow a header line without end), MAX_BODY
    body bytes (and MAX_BODY decoded bytes), MAX_WIRE in all. The body is kept
    only with `keep_body`, gzip/deflate decoded on the way in.
    """

    # one per probe: slots make it and its attribute writes cheaper than a __dict__
    __slots__ = ("parser", "transport", "headers_done", "complete", "head", "keep_body", "status", "location",
                 "content_type", "content_encoding", "framed", "interim", "stopped", "body", "received", "wire",
                 "truncated", "decoder", "pending", "body_error", "cert_warning", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop, head: bool, keep_body: bool = False) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.BaseTransport | None = None
        self.headers_done: asyncio.Future[int] = loop.create_future()
        self.complete: asyncio.Future[None] = loop.create_future()
        self.head = head  # a HEAD response announces a length but carries no body
        self.keep_body = keep_body
        self.status = 0
        self.location: str | None = None
        self.content_type = b""
        self.content_encoding = b""
        self.framed = False  # Content-Length or chunked; otherwise the body ends at EOF
        self.interim = False  # a 1xx response before the real one
        self.stopped = False  # enough read: further bytes are ignored
        self.body = bytearray()  # kept (decoded) body, at most MAX_BODY bytes
        self.received = 0  # body bytes as they came (before decoding)
        self.wire = 0  # every byte read
        self.truncated = False  # the body went on past what was kept
        self.decoder: Any = None  # zlib decompressobj, or _DEFLATE until the first bytes tell which
        self.pending = b""  # the first bytes of a deflate body, until there are two
        self.body_error: str | None = None  # a body that cannot be decoded
        self.cert_warning: str | None = None  # set by exchange()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.stopped:
            return
        self.wire += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # a 101 we did not ask for: its status gets checked like any other
        except httptools.HttpParserError as exc:
            self._fail(ProbeError("invalid_response", f"malformed HTTP response: {exc}"))
            return
        if not self.headers_done.done():
            if self.wire > MAX_HEAD:
                self.transport.pause_reading()
                self._fail(ProbeError("invalid_response",
                                      f"response headers larger than {MAX_HEAD // 1024} KiB"))
        elif self.wire > MAX_WIRE:
            self._finish(truncated=True)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.headers_done.done() and not self.framed and not self.complete.done():
            self.complete.set_result(None)  # the body was delimited by the close
        self.stopped = True
        if not self.complete.done():  # else the answer is in: no error to make (every probe closes)
            self._fail(ProbeError("connection_error", "connection closed before the response was complete"))

    # httptools callbacks

    def on_message_begin(self) -> None:
        self.location, self.framed = None, False
        self.content_type = self.content_encoding = b""

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"location":
            self.location = value.decode("utf-8", "replace")
        elif name == b"content-length" or (name == b"transfer-encoding" and b"chunked" in value.lower()):
            self.framed = True
        elif name == b"content-type":
            self.content_type = value
        elif name == b"content-encoding":
            self.content_encoding = value.strip().lower()

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.interim = True
            return
        self.framed = self.framed or self.head or status in (204, 304)
        self.status = status
        if self.keep_body:
            self._start_decoding()
        self.headers_done.set_result(status)
        if self.head:
            self.complete.set_result(None)

    def on_body(self, body: bytes) -> None:
        if self.complete.done():
            return  # the rest of a chunk read after the limit
        self.received += len(body)
        if self.keep_body:
            self._keep(body)
        if self.received > MAX_BODY:
            self._finish(truncated=True)  # enough to judge the response; the close follows

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        if self.decoder is _DEFLATE and self.pending and self.keep_body:
            self._keep(b"")  # a deflate body of a single byte
        if not self.complete.done():
            self.complete.set_result(None)

    # ours

    def _start_decoding(self) -> None:
        encoding = self.content_encoding
        if encoding in (b"", b"identity"):
            return
        if encoding in (b"gzip", b"x-gzip"):
            self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == b"deflate":
            self.decoder = _DEFLATE
        else:
            shown = encoding.decode("ascii", "replace")[:40]
            self.body_error = f"cannot decode a body with Content-Encoding '{shown}' (upstatd decodes gzip and deflate)"
            self.keep_body = False

    def _keep(self, data: bytes) -> None:
        if self.decoder is None:
            self.body += data[:MAX_BODY - len(self.body)]
            return
        if self.decoder is _DEFLATE:
            # "deflate" is meant to be zlib-wrapped, but some servers send it raw
            self.pending += data
            if len(self.pending) < 2 and data:
                return  # on_message_complete calls again with b"" for a 1-byte body
            data, first = self.pending, self.pending[:2]
            self.pending = b""
            wrapped = len(first) == 2 and first[0] & 0x0F == 8 and int.from_bytes(first, "big") % 31 == 0
            self.decoder = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        room = MAX_BODY - len(self.body)
        try:
            # bounded: a zip bomb yields at most room + 1 bytes here, the rest stays compressed
            out = self.decoder.decompress(data, room + 1)
        except zlib.error as exc:
            name = self.content_encoding.decode("ascii", "replace")
            self.body_error = f"could not decode the {name} body: {str(exc).rpartition(': ')[2]}"
            self.keep_body = False
            self._finish(truncated=False)
            return
        self.body += out[:room]
        if len(out) > room:
            self._finish(truncated=True)

    def _finish(self, truncated: bool) -> None:
        """Stop reading: what was read is the answer (the connection gets closed after)."""
        self.truncated = self.truncated or truncated
        self.stopped = True
        if self.transport is not None:
            self.transport.pause_reading()
        if not self.complete.done():
            self.complete.set_result(None)

    def _fail(self, error: ProbeError) -> None:
        self.stopped = True
        for future in (self.headers_done, self.complete):
            if not future.done():
                future.set_exception(error)

    def close(self) -> None:
        """Drop the connection and settle both futures, whatever state we are in.

        abort, not close: the answer is in hand (or the probe is cancelled),
        and a graceful TLS close could hold the socket for ssl_shutdown_timeout.
        """
        if self.transport is not None:
            self.transport.abort()
        for future in (self.headers_done, self.complete):
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # mark an error nobody awaited as seen


_DEFLATE = object()
