"""Behind a reverse proxy: the client's address and scheme from `X-Forwarded-For`
and `X-Forwarded-Proto`, believed only when the connection comes from one of
`server.trusted_proxies` (addresses or networks).

`X-Forwarded-For` is read from the right (each proxy appends the address it
got the request from): hops that are trusted proxies themselves are skipped,
and the first one that is not is the client. If every hop is trusted, the
leftmost is. A hop that is not an IP address (`unknown`, a forged value
cut off) stops the walk: the client is the last hop believed before it.
`X-Forwarded-Proto` gives the scheme: its last value (set by the proxy that
talked to us), when it is `http` or `https`. From any other peer both
headers are ignored, so a client cannot choose the address a ping records.

`resolve` is pure; `middleware` applies it to each request (`request.remote`
and `request.scheme`), so the ping URLs, the API's logs and anything else
that reads the client's address see the same one. Connection limits per
address apply to the peer (the proxy), before any header is read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from typing import Union

from aiohttp import web

TRUSTED = web.AppKey("trusted_proxies", tuple)  # the networks, for the ping server (api/ping_server.py)
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
SCHEMES = ("http", "https")


def parse_address(text: str) -> Address | None:
    """An address as a proxy may write it: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`,
    `2001:db8::1`; an IPv4-mapped IPv6 address is its IPv4 address. None if it is none of these."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def trusted_peer(networks: Sequence[str]) -> Callable[[str], bool]:
    """Whether a connection's peer address (as the socket gives it) is one of `networks`."""
    parsed = [ipaddress.ip_network(network, strict=False) for network in networks]

    def trusted(peer: str) -> bool:
        address = parse_address(peer)
        return address is not None and is_trusted(address, parsed)
    return trusted


def _values(headers: Iterable[str]) -> list[str]:
    """Every comma-separated value of a header given once or several times, in order."""
    return [part.strip() for header in headers for part in header.split(",")]


def resolve(peer: str | None, scheme: str, forwarded_for: Iterable[str], forwarded_proto: Iterable[str],
            trusted: Sequence[Network]) -> tuple[str | None, str]:
    """(client address, scheme) of a request from `peer` with these header values."""
    peer_address = parse_address(peer) if peer else None
    if peer_address is None or not is_trusted(peer_address, trusted):
        return peer, scheme
    client = peer
    for hop in reversed(_values(forwarded_for)):
        address = parse_address(hop)
        if address is None:
            break
        client = str(address)
        if not is_trusted(address, trusted):
            break
    protos = [proto.lower() for proto in _values(forwarded_proto)]
    if protos and protos[-1] in SCHEMES:
        scheme = protos[-1]
    return client, scheme


def middleware(trusted: Sequence[Network]):
    """The aiohttp middleware that puts the resolved address and scheme on each request."""
    trusted = tuple(trusted)

    @web.middleware
    async def forwarded(request: web.Request, handler) -> web.StreamResponse:
        peer = request.remote
        headers = request.headers
        if peer is not None and ("X-Forwarded-For" in headers or "X-Forwarded-Proto" in headers):
            remote, scheme = resolve(peer, request.scheme, headers.getall("X-Forwarded-For", ()),
                                     headers.getall("X-Forwarded-Proto", ()), trusted)
            if remote != peer or scheme != request.scheme:
                request = request.clone(remote=remote, scheme=scheme)
        return await handler(request)

    return forwarded
