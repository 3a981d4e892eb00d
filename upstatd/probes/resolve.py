"""Name resolution for probes: host -> (family, sockaddr) pairs to connect to.

IP literals never reach getaddrinfo (it runs in a thread pool, which costs far
more than the probe itself). A shared cache that honours DNS TTLs comes later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from upstatd.probes.result import ProbeError

Address = tuple[int, tuple]


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address if host is an IP literal ("[::1]" or "::1"), else None."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def resolve(host: str, port: int) -> list[Address]:
    ip = ip_literal(host)
    # A scoped IPv6 literal (fe80::1%eth0) needs its scope id turned into an
    # interface index, which getaddrinfo does without touching the network.
    if ip is not None and not getattr(ip, "scope_id", None):
        if ip.version == 4:
            return [(socket.AF_INET, (str(ip), port))]
        return [(socket.AF_INET6, (str(ip), port, 0, 0))]
    if ip is not None:
        host = str(ip)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ProbeError("dns_error", f"could not resolve '{host}': {exc.strerror or exc}") from None
    except UnicodeError:
        # the idna codec refuses the name (empty or over-long label) before any lookup
        raise ProbeError("dns_error", f"could not resolve '{host}': not a valid host name") from None
    out: list[Address] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if (family, sockaddr) not in out:
            out.append((family, sockaddr))
    if not out:
        raise ProbeError("dns_error", f"could not resolve '{host}': no addresses")
    return out
