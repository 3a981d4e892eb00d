"""TCP probe: the port accepts a connection. Also the connect step HTTP uses."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msgspec

from upstatd.config.check import Invalid, Path, Problems, block, type_name
from upstatd.probes.resolve import Address, ip_literal, literal_addresses, resolve
from upstatd.probes.result import ProbeError, ProbeResult, Phases

_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


class TcpTarget(msgspec.Struct, frozen=True):
    host: str  # name or IP literal, without brackets
    port: int


URL_SCHEMA = {"pattern": r"^tcp://[^\s/?#@]+:[0-9]{1,5}/?$", "description": "tcp://host:port"}


def options_schema() -> dict:
    """The `tcp` block takes no options (yet)."""
    return {"type": "object", "additionalProperties": False, "maxProperties": 0}


def prepare(url: Any, options: Any, path: Path, problems: Problems) -> TcpTarget | None:
    before = len(problems.items)
    block(options, path + ("tcp",), problems, known=())
    where = path + ("url",)
    if not isinstance(url, str):
        problems.add(where, f"must be a string, got {type_name(url)}")
        return None
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() != "tcp" or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise Invalid(f"must be tcp://host:port, got '{url}'")
        host, port = split_host_port(parts.netloc, url, "tcp://host:port")
        if port is None:
            raise Invalid(f"must be tcp://host:port, got '{url}'")
    except ValueError:  # urlsplit: unbalanced brackets
        problems.add(where, f"must be tcp://host:port, got '{url}'")
        return None
    except Invalid as exc:
        problems.add(where, str(exc))
        return None
    return TcpTarget(host, port) if len(problems.items) == before else None


async def probe(target: TcpTarget, phases: Phases) -> ProbeResult:
    phases.enter("resolve")
    addresses = literal_addresses(target.host, target.port) or await resolve(target.host, target.port)
    phases.enter("connect")
    transport, _ = await connect(addresses, asyncio.Protocol)
    transport.close()
    return phases.success()


# -- shared with the HTTP probe ------------------------------------------------

def split_host_port(netloc: str, url: str, form: str) -> tuple[str, int | None]:
    """Host (normalized, no brackets) and port (None when absent) of a URL's netloc.

    Raises Invalid with a message about `url`; `form` shows the expected shape.
    """
    if "@" in netloc:
        raise Invalid("must not contain credentials (user:password@): they would show in logs and status")
    if netloc.startswith("["):
        end = netloc.find("]")
        host, rest = netloc[1:end], netloc[end + 1:]
        ip = ip_literal(host)
        if end < 0 or ip is None or ip.version != 6 or (rest and not rest.startswith(":")):
            raise Invalid(f"must be {form}, got '{url}'")
        host, port_text = str(ip), (rest[1:] if rest else None)
    else:
        host, _, port_text = netloc.partition(":")
        if ":" in port_text:
            raise Invalid(f"IPv6 addresses need brackets, like [::1], got '{url}'")
        port_text = port_text if ":" in netloc else None
        host = normalize_host(host, url, form)
    if port_text is None:
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise Invalid(f"port must be 1-65535, got '{port_text}'")
    return host, int(port_text)


def normalize_host(host: str, url: str, form: str) -> str:
    if not host:
        raise Invalid(f"must be {form} with a host, got '{url}'")
    if ip_literal(host) is not None:
        return host
    try:
        # lower-case first: the idna codec would do it, but only for non-ASCII labels
        ascii_host = host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    if not _HOST_NAME.fullmatch(ascii_host):
        raise Invalid(f"'{host}' is not a valid host name")
    return ascii_host


async def connect(addresses: list[Address], protocol_factory: Callable[[], asyncio.BaseProtocol],
                  what: str = "") -> tuple[asyncio.Transport, Any]:
    """Connect to the first address that accepts; a failure moves on to the next.
    `what` names the peer in messages ("proxy ": `connection refused by proxy 127.0.0.1:3128`)."""
    loop = asyncio.get_running_loop()
    failure = ""
    for family, sockaddr in addresses:
        try:
            return await loop.create_connection(protocol_factory, sockaddr[0], sockaddr[1], family=family)
        except OSError as exc:
            # ETIMEDOUT from the kernel lands here as an OSError too, so it is
            # reported as a connection error, not as the probe's own deadline.
            failure = describe_connect_error(exc, sockaddr, what)
    raise ProbeError("connection_error", failure)


def format_address(sockaddr: tuple) -> str:
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe_connect_error(exc: OSError, sockaddr: tuple, what: str = "") -> str:
    where = what + format_address(sockaddr)
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}"
    # asyncio's strerror reads "Connect call failed (...)"; the errno text is clearer
    reason = os.strerror(exc.errno) if exc.errno else (str(exc) or type(exc).__name__)
    return f"could not connect to {where}: {reason[0].lower()}{reason[1:]}"
