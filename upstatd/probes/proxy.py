"""HTTP probes through an HTTP proxy: the `http.proxy` option, NO_PROXY rules, the CONNECT tunnel.

`proxy` is an `http://[user:password@]host:port` URL, or `env`: the proxies of
the daemon's environment (https_proxy/HTTPS_PROXY for https hops,
http_proxy/HTTP_PROXY for http ones, lowercase first as curl reads them) and
its no_proxy/NO_PROXY, read when the config is read, not per probe. Only `env`
looks at the environment at all.

An http:// hop through the proxy is one request in absolute form
(`GET http://host/path HTTP/1.1`); an https:// hop is `CONNECT host:port`,
then TLS with the target inside the tunnel (SNI and verification against the
target's name). TLS to the proxy itself (an https:// proxy URL) is not
supported: the tunnel already carries the target's TLS end to end.

The credentials are a secret: messages show the URL with `********` in their
place (`shown`), and a Proxy's repr leaves them out.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import msgspec

from upstatd.config.check import Invalid, type_name
from upstatd.probes.resolve import ip_literal
from upstatd.probes.result import ProbeError
from upstatd.probes.tcp import normalize_host, split_host_port

MASK = "********"  # what the API shows for a secret (monitors/specs.py REDACTED)
FORM = "http://[user:password@]host:port"
HTTPS_VARS = ("https_proxy", "HTTPS_PROXY")
HTTP_VARS = ("http_proxy", "HTTP_PROXY")
NO_PROXY_VARS = ("no_proxy", "NO_PROXY")
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([0-9]{3})(?: [^\r\n]*)?")


class Proxy(msgspec.Struct, frozen=True):
    host: str                         # name or IP literal, without brackets
    port: int
    authorization: str | None = None  # the Proxy-Authorization value: a secret

    @property
    def name(self) -> str:
        """`proxy 127.0.0.1:3128`, as messages name it (never with its credentials)."""
        return f"proxy [{self.host}]:{self.port}" if ":" in self.host else f"proxy {self.host}:{self.port}"

    def __repr__(self) -> str:  # a target in a traceback never shows the credentials
        return f"Proxy({self.host!r}, {self.port}, authorization={'<set>' if self.authorization else None})"


class NoProxyRule(msgspec.Struct, frozen=True):
    host: str               # "*", a domain (lower case, no leading dot) or a network ("10.0.0.0/8")
    port: int | None = None  # only this port of it, when given (`example.com:8080`)


class ProxySetting(msgspec.Struct, frozen=True):
    http: Proxy | None                    # for http:// hops; None: direct
    https: Proxy | None                   # for https:// hops
    no_proxy: tuple[NoProxyRule, ...] = ()


# -- config ----------------------------------------------------------------------

def parse_proxy(value: Any, environ: Mapping[str, str]) -> ProxySetting:
    """`env` or a proxy URL -> the ProxySetting the target keeps. Messages never quote credentials."""
    if not isinstance(value, str):
        raise Invalid(f"must be a proxy URL like {FORM}, or env, got {type_name(value)}")
    if value.strip() == "env":
        return from_environment(environ)
    proxy = parse_proxy_url(value)
    return ProxySetting(http=proxy, https=proxy)


def from_environment(environ: Mapping[str, str]) -> ProxySetting:
    found: dict[str, Proxy | None] = {}
    for key, names in (("https", HTTPS_VARS), ("http", HTTP_VARS)):
        name, raw = _first_set(environ, names)
        try:
            found[key] = None if name is None else parse_proxy_url(raw, bare_ok=True)
        except Invalid as exc:
            raise Invalid(f"is env, but {name} in upstatd's environment is not usable: {exc}") from None
    if found["https"] is None and found["http"] is None:
        raise Invalid("is env, but none of https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY is set in upstatd's "
                      "environment (under systemd, set it with Environment= in the unit)")
    name, raw = _first_set(environ, NO_PROXY_VARS)
    try:
        rules = parse_no_proxy(raw) if name else ()
    except Invalid as exc:
        raise Invalid(f"is env, but {name} in upstatd's environment is not usable: {exc}") from None
    return ProxySetting(http=found["http"], https=found["https"], no_proxy=rules)


def _first_set(environ: Mapping[str, str], names: tuple[str, ...]) -> tuple[str | None, str]:
    for name in names:
        if environ.get(name, "").strip():
            return name, environ[name].strip()
    return None, ""


def parse_proxy_url(value: str, bare_ok: bool = False) -> Proxy:
    """`http://[user:password@]host:port` -> Proxy. `bare_ok`: `host:port` without a scheme is
    http:// (what curl and Python accept in the environment; the config file names it)."""
    text = value.strip()
    if bare_ok and "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:  # unbalanced IPv6 brackets
        raise Invalid(f"must be {FORM}, got '{shown(text)}'") from None
    scheme = parts.scheme.lower()
    if scheme == "https":
        raise Invalid("an https:// proxy (TLS to the proxy) is not supported: give its http:// address; an https "
                      "target is still tunnelled through it with CONNECT and encrypted end to end")
    if scheme != "http":
        raise Invalid(f"must be {FORM} (an HTTP proxy; SOCKS is not supported), got '{shown(text)}'")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise Invalid(f"must be {FORM} without a path, got '{shown(text)}'")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, port = split_host_port(hostport, f"http://{hostport}", "http://host:port")
    if port is None:
        raise Invalid(f"must name the proxy's port, like http://{hostport or 'proxy.example'}:3128, "
                      f"got '{shown(text)}'")
    return Proxy(host, port, _authorization(userinfo) if at else None)


def _authorization(userinfo: str) -> str:
    username, _, password = userinfo.partition(":")
    username, password = unquote(username), unquote(password)
    if not username:
        raise Invalid(f"the credentials must be user:password@ with a user name, like {FORM}")
    if MASK in (username, password):
        raise Invalid(f"the credentials are the '{MASK}' the API shows in their place: give the real ones (the "
                      "stored ones are kept only when the proxy URL is sent back exactly as it was shown)")
    if any(not c.isprintable() for c in username + password):
        raise Invalid("the credentials must not contain control characters or line breaks")
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def shown(url: str) -> str:
    """The URL with its credentials masked: `http://ana:********@proxy:3128`
    (a user name without a password may be a token: masked whole)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    # up to the last @, not the first /: a password may hold a raw / (urlsplit then sees a path)
    userinfo, at, tail = rest.rpartition("@")
    if not at:
        return url
    user, colon, _ = userinfo.partition(":")
    masked = f"{user}:{MASK}" if colon else MASK
    return f"{scheme}{sep}{masked}@{tail}"


# -- NO_PROXY ----------------------------------------------------------------------

def parse_no_proxy(value: str) -> tuple[NoProxyRule, ...]:
    """`localhost, .internal.example, 10.0.0.0/8, [::1]:8080, *` -> rules, in order.

    A domain matches itself and every name under it (a leading `.` or `*.` is
    dropped, as curl does); an IP address or network matches IP-literal
    hosts only (no name is resolved to decide); `*` alone matches everything."""
    rules = []
    for raw in value.replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if entry:
            rules.append(_rule(entry))
    return tuple(rules)


def _rule(entry: str) -> NoProxyRule:
    if entry == "*":
        return NoProxyRule("*")
    if "://" in entry:  # a URL, not a host
        raise Invalid(f"'{entry}' is not a host name, domain, IP address or network")
    host, port = entry, None
    if entry.startswith("["):  # [::1] or [::1]:8080
        inside, _, rest = entry[1:].partition("]")
        host = inside
        if rest:
            port = _port(rest[1:] if rest.startswith(":") else "", entry)
    elif entry.count(":") == 1:  # host:port (more colons: an IPv6 address or network)
        host, _, port_text = entry.partition(":")
        port = _port(port_text, entry)
    try:
        return NoProxyRule(str(ipaddress.ip_network(host, strict=False)), port)
    except ValueError:
        pass
    name = host.removeprefix("*.").lstrip(".").rstrip(".")
    try:
        name = normalize_host(name, entry, "a host name")
    except Invalid:
        raise Invalid(f"'{entry}' is not a host name, domain, IP address or network") from None
    return NoProxyRule(name, port)


def _port(text: str, entry: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise Invalid(f"'{entry}': port must be 1-65535")
    return int(text)


def bypasses(rules: tuple[NoProxyRule, ...], host: str, port: int) -> bool:
    """Whether NO_PROXY sends host:port direct (pure: no lookups)."""
    ip = ip_literal(host)
    name = host.rstrip(".").lower()
    for rule in rules:
        if rule.port is not None and rule.port != port:
            continue
        if rule.host == "*":
            return True
        if "/" in rule.host:
            if ip is not None and ip in ipaddress.ip_network(rule.host):
                return True
        elif ip is None and (name == rule.host or name.endswith("." + rule.host)):
            return True
    return False


def route(setting: ProxySetting | None, tls: bool, host: str, port: int) -> Proxy | None:
    """The proxy one hop goes through, or None: direct."""
    if setting is None:
        return None
    proxy = setting.https if tls else setting.http
    if proxy is None or bypasses(setting.no_proxy, host, port):
        return None
    return proxy


# -- the tunnel --------------------------------------------------------------------

def connect_request(authority: str, proxy: Proxy, user_agent: str) -> bytes:
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}", f"User-Agent: {user_agent}"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Tunnel(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT, at most `limit` bytes up to its blank line:
    a 2xx opens the tunnel (`opened`); anything else is the proxy's refusal."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proxy: Proxy, authority: str, limit: int) -> None:
        self.opened: asyncio.Future[None] = loop.create_future()
        self.proxy = proxy
        self.authority = authority
        self.limit = limit
        self.buffer = bytearray()
        self.read = 0  # bytes in all, interim answers included: the bound is on these
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.opened.done():
            return
        start = max(0, len(self.buffer) - 3)  # a blank line split across reads
        self.buffer += data
        self.read += len(data)
        while not self.opened.done():
            end = self.buffer.find(b"\r\n\r\n", start)
            rest = self.buffer[end + 4:] if end >= 0 else b""
            if self.read - len(rest) > self.limit:  # the heads so far, interim ones included
                self._fail("proxy_error", f"{self.proxy.name} sent more than {self.limit // 1024} KiB "
                                          f"without ending its answer to CONNECT")
                return
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            match = _STATUS_LINE.fullmatch(head.split(b"\r\n", 1)[0])
            if match is None:
                self._fail("proxy_error", f"{self.proxy.name} answered CONNECT with something that is not HTTP")
                return
            status = int(match.group(1))
            if 100 <= status < 200:  # interim answers: the final one follows
                self.buffer, start = rest, 0
                continue
            if not 200 <= status < 300:
                hint = " (proxy credentials missing or refused)" if status == 407 else ""
                self._fail("proxy_error", f"{self.proxy.name} answered {status} to CONNECT {self.authority}{hint}")
            elif rest:  # the target speaks only after our TLS hello
                self._fail("proxy_error", f"{self.proxy.name} sent data after its answer to CONNECT")
            else:
                self.opened.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail("connection_error", f"{self.proxy.name} closed the connection before answering "
                                       f"CONNECT {self.authority}")

    def _fail(self, kind: str, message: str) -> None:
        if not self.opened.done():
            self.opened.set_exception(ProbeError(kind, message))
            if self.transport is not None:
                self.transport.pause_reading()

    def close(self) -> None:
        """Settle `opened` whatever happened (the transport is the caller's to drop)."""
        if not self.opened.done():
            self.opened.cancel()
        elif not self.opened.cancelled():
            self.opened.exception()  # mark an error nobody awaited as seen
