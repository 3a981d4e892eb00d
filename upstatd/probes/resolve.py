"""Name resolution for probes: host -> (family, sockaddr) pairs to connect to.

One Resolver is shared by every probe. It answers from /etc/hosts first, then
asks DNS (dnspython, the servers of /etc/resolv.conf) and keeps each answer
for its TTL, so 10,000 monitors on one host cost one lookup per TTL, and a
changed record is seen once its TTL runs out. Concurrent lookups of one name
share one query. IP literals never get here.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import os
import socket
import time
from collections.abc import Callable

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver

from upstatd.probes.result import ProbeError

Address = tuple[int, tuple]

NEGATIVE_TTL = 5.0       # a name that does not exist is asked again after this
MIN_TTL = 1.0            # a TTL of 0 still spares the resolver a query per probe
HOSTS_RECHECK = 5.0      # seconds between looks at /etc/hosts' mtime
QUERY_LIFETIME = 30.0    # dnspython's own bound; a probe's deadline is usually shorter
MAX_ENTRIES = 100_000    # cached names, at most


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address if host is an IP literal ("[::1]" or "::1"), else None."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class Resolver:
    def __init__(self, nameservers: list[tuple[str, int]] | None = None, hosts_path: str = "/etc/hosts",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._nameservers = nameservers
        self._dns: dns.asyncresolver.Resolver | None = None
        self._hosts_path = hosts_path
        self._hosts: dict[str, list[str]] = {}
        self._hosts_mtime: float | None = None
        self._hosts_checked = -HOSTS_RECHECK
        self.clock = clock
        # (name, rdtype) -> (expires at, addresses or a ProbeError)
        self._cache: dict[tuple[str, str], tuple[float, list[str] | ProbeError]] = {}
        self._pending: dict[tuple[str, str], asyncio.Task] = {}
        self.queries = 0  # DNS queries sent, for tests and /healthz

    async def addresses(self, name: str, family: int = 0) -> list[str]:
        """IP addresses of `name` (IPv4 first when family is 0)."""
        name = name.rstrip(".").lower()
        hosts = self._from_hosts(name, family)
        if hosts:
            return hosts
        rdtypes = {socket.AF_INET: ("A",), socket.AF_INET6: ("AAAA",)}.get(family, ("A", "AAAA"))
        results = await asyncio.gather(*(self._lookup(name, rdtype) for rdtype in rdtypes))
        found = [address for result in results if isinstance(result, list) for address in result]
        if found:
            return found
        errors = [result for result in results if isinstance(result, ProbeError)]
        raise errors[0] if errors else ProbeError("dns_error", f"could not resolve '{name}': no addresses")

    async def _lookup(self, name: str, rdtype: str) -> list[str] | ProbeError:
        key = (name, rdtype)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._query(name, rdtype))
            self._pending[key] = task
            task.add_done_callback(lambda _t: self._pending.pop(key, None))
        # shield: one caller's deadline must not cancel the query the others wait for
        return await asyncio.shield(task)

    async def _query(self, name: str, rdtype: str) -> list[str] | ProbeError:
        resolver = self._resolver()
        try:
            qname = dns.name.from_text(name, origin=None)
        except (dns.name.LabelTooLong, dns.name.NameTooLong, dns.name.EmptyLabel, UnicodeError):
            return ProbeError("dns_error", f"could not resolve '{name}': not a valid host name")
        self.queries += 1
        try:
            answer = await resolver.resolve(qname, rdtype, search=True, lifetime=QUERY_LIFETIME)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            result: list[str] | ProbeError = [] if rdtype == "AAAA" else ProbeError(
                "dns_error", f"could not resolve '{name}': no {rdtype} record")
            if rdtype == "A":
                result = ProbeError("dns_error", f"could not resolve '{name}': name does not exist")
            self._store((name, rdtype), result, NEGATIVE_TTL)
            return result
        except dns.resolver.NoNameservers as exc:
            return ProbeError("dns_error", f"could not resolve '{name}': no server answered ({exc.msg})")
        except dns.exception.Timeout:
            return ProbeError("dns_error", f"could not resolve '{name}': DNS timed out")
        except dns.exception.DNSException as exc:
            return ProbeError("dns_error", f"could not resolve '{name}': {exc}")
        addresses = [rdata.address for rdata in answer]
        self._store((name, rdtype), addresses, max(MIN_TTL, answer.rrset.ttl if answer.rrset else 0))
        return addresses

    def _store(self, key: tuple[str, str], value: list[str] | ProbeError, ttl: float) -> None:
        if len(self._cache) >= MAX_ENTRIES:
            self._cache.clear()  # crude, and never reached by a sane config
        self._cache[key] = (self.clock() + ttl, value)

    def _resolver(self) -> dns.asyncresolver.Resolver:
        if self._dns is None:
            if self._nameservers is None:
                try:
                    self._dns = dns.asyncresolver.Resolver()
                except dns.resolver.NoResolverConfiguration:
                    raise ProbeError("dns_error", "no DNS server configured in /etc/resolv.conf") from None
            else:
                self._dns = dns.asyncresolver.Resolver(configure=False)
                self._dns.nameservers = [host for host, _ in self._nameservers]
                self._dns.port = self._nameservers[0][1]
        return self._dns

    def _from_hosts(self, name: str, family: int) -> list[str]:
        now = self.clock()
        if now - self._hosts_checked >= HOSTS_RECHECK:
            self._hosts_checked = now
            self._reload_hosts()
        found = self._hosts.get(name, [])
        if family:
            wanted = 4 if family == socket.AF_INET else 6
            found = [address for address in found if ipaddress.ip_address(address).version == wanted]
        return found

    def _reload_hosts(self) -> None:
        try:
            mtime = os.stat(self._hosts_path).st_mtime
            if mtime == self._hosts_mtime:
                return
            with open(self._hosts_path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            self._hosts, self._hosts_mtime = {}, None
            return
        hosts: dict[str, list[str]] = {}
        for line in text.splitlines():
            fields = line.split("#", 1)[0].split()
            if len(fields) < 2 or ip_literal(fields[0]) is None or "%" in fields[0]:
                continue
            for alias in fields[1:]:
                entries = hosts.setdefault(alias.lower(), [])
                if fields[0] not in entries:
                    entries.append(fields[0])
        for entries in hosts.values():
            entries.sort(key=lambda address: ipaddress.ip_address(address).version)  # IPv4 first
        self._hosts, self._hosts_mtime = hosts, mtime


_shared = Resolver()


def shared_resolver() -> Resolver:
    return _shared


@functools.lru_cache(maxsize=65_536)
def _literal(host: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str] | None:
    """ip_literal and its text, remembered: most targets are the same few hosts probe after
    probe, and str() of an address costs more than the rest of resolving a literal."""
    ip = ip_literal(host)
    return None if ip is None else (ip, str(ip))


def literal_addresses(host: str, port: int, family: int = 0) -> list[Address] | None:
    """What resolve() answers for a plain IP literal of `family` (or any), without a
    coroutine; None for everything else (names, scoped IPv6, a family mismatch), which
    resolve() answers (or refuses with its message)."""
    literal = _literal(host)
    if literal is None or (family and family != (socket.AF_INET if literal[0].version == 4 else socket.AF_INET6)):
        return None
    ip, text = literal
    if ip.version == 6 and ip.scope_id:
        return None
    return [_sockaddr(text, port)]


async def resolve(host: str, port: int, family: int = 0) -> list[Address]:
    """Addresses to connect to: IPv4 first when family is 0 (AF_UNSPEC)."""
    plain = literal_addresses(host, port, family)
    if plain is not None:
        return plain
    literal = _literal(host)
    if literal is not None:  # scoped, or of the other family
        ip, text = literal
        if getattr(ip, "scope_id", None):
            # A scoped IPv6 literal (fe80::1%eth0) needs its scope id turned into
            # an interface index, which getaddrinfo does without the network.
            infos = await asyncio.get_running_loop().getaddrinfo(text, port, type=socket.SOCK_STREAM)
            return [(info[0], info[4]) for info in infos[:1]]
        raise ProbeError("dns_error", f"'{host}' is an IPv{ip.version} address, but ip_version "
                                      f"asks for IPv{4 if family == socket.AF_INET else 6}")
    try:
        addresses = await _shared.addresses(host, family)
    except UnicodeError:
        # the idna codec refuses the name (empty or over-long label) before any lookup
        raise ProbeError("dns_error", f"could not resolve '{host}': not a valid host name") from None
    return [_sockaddr(address, port) for address in addresses]


def _sockaddr(address: str, port: int) -> Address:
    if ":" in address:
        return socket.AF_INET6, (address, port, 0, 0)
    return socket.AF_INET, (address, port)
