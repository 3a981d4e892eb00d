"""ICMP probe: echo requests on one shared socket per address family.

The sockets -- one per address family, shared by every ICMP monitor, ping
(datagram) sockets where net.ipv4.ping_group_range allows, raw otherwise --
and the matching of replies to packets live in icmp_socket; `open` and
`close` are re-exported here for the registry.

Probe. Resolve the host (phase `resolve`), then phase `echo` (not one of the
timed PHASES: a timeout reads "no answer within 1s (during echo)"): send
`packets` echo requests `packet_interval` apart. A packet is lost when no
reply came within REPLY_TIMEOUT (2 s) of sending it, or when an ICMP error
came back for it; the probe ends as soon as every packet is answered or
lost, so its length is at most (packets - 1) x packet_interval + 2 s.
Keeping the monitor's timeout above that (the default 10 s is, for up to
~40 packets at 200ms) means packet loss is reported as loss; if the deadline
comes first the check is a `timeout`, and its details hold the counts so far.

Outcome: down (connection_error) when every packet is lost, or when the loss
is above `max_loss` ("66.7% packet loss (3 sent, 1 received), max 50%"), with
the last ICMP error appended when one came ("...: host unreachable (reported
by 10.0.0.1)"); degraded (slow_response) when the average round trip is
above `max_rtt`; up otherwise. `max_loss` defaults to 100: down only when
every packet is lost, so a lossy link does not flap; tighten it per monitor.

Results: details packets_sent, packets_received, packet_loss (percent),
rtt_min_ms / rtt_avg_ms / rtt_max_ms (when anything came back) and address
(the IP pinged). latency_ms is the average round trip when any reply came
(the time spent between packets is not latency), else the probe's duration.
"""

from __future__ import annotations

import asyncio
import math
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import msgspec
from msgspec.structs import force_setattr

from upstatd.config.check import (
    Invalid, Path, Problems, block, duration, format_duration, integer, take, type_name,
)
from upstatd.probes.icmp_socket import _Packet, _ensure_open, _opened_on, _socket_for, _sockets, close, open
from upstatd.probes.resolve import ip_literal, resolve
from upstatd.probes.result import ProbeError, ProbeResult, Phases
from upstatd.probes.tcp import split_host_port

OPTION_KEYS = ("packets", "packet_interval", "max_loss", "max_rtt", "ip_version")
REPLY_TIMEOUT = 2.0          # seconds a reply may take before its packet counts as lost
URL_SCHEMA = {"pattern": r"^icmp://[^\s/?#@:]+/?$", "description": "icmp://host"}


def options_schema() -> dict:
    """The `icmp` block's JSON Schema (the OpenAPI document)."""
    from upstatd.probes.tls import IP_VERSION_SCHEMA
    return {"type": "object", "additionalProperties": False, "properties": {
        "packets": {"type": "integer", "minimum": 1, "maximum": 100},
        "packet_interval": {"type": "number", "minimum": 0.01, "maximum": 10, "description": "seconds"},
        "max_loss": {"type": "number", "minimum": 0, "maximum": 100, "description": "percent"},
        "max_rtt": {"type": "number", "minimum": 0.0001, "maximum": REPLY_TIMEOUT, "description": "seconds"},
        "ip_version": IP_VERSION_SCHEMA}}


class IcmpTarget(msgspec.Struct, frozen=True):
    host: str                  # name or IP literal, without brackets
    packets: int = 3
    packet_interval: float = 0.2
    max_loss: float = 100.0    # percent; down when the loss is above it (or total)
    max_rtt: float | None = None  # seconds; a higher average round trip is degraded
    ip_version: int = 0        # 0 (auto), 4 or 6
    # an IP literal's (family, sockaddr, packed address), made once here; None: a name (or a
    # scoped IPv6 literal), resolved by each probe
    literal: tuple | None = None

    def __post_init__(self) -> None:
        ip = ip_literal(self.host)
        if ip is None or getattr(ip, "scope_id", None):
            return
        if ip.version == 4:
            literal = (socket.AF_INET, (str(ip), 0), ip.packed)
        else:
            literal = (socket.AF_INET6, (str(ip), 0, 0, 0), ip.packed)
        force_setattr(self, "literal", literal)


# -- config ----------------------------------------------------------------------

def prepare(url: Any, options: Any, path: Path, problems: Problems) -> IcmpTarget | None:
    before = len(problems.items)
    where = path + ("icmp",)
    opts = block(options, where, problems, known=OPTION_KEYS)
    host = None
    try:
        host = parse_url(url)
    except Invalid as exc:
        problems.add(path + ("url",), str(exc))
    if opts is None:
        return None
    packets = take(opts, "packets", integer(1, 100), where, problems, 3)
    interval = take(opts, "packet_interval", duration(min=0.01, max=10), where, problems, 0.2)
    max_loss = take(opts, "max_loss", percent, where, problems, 100.0)
    max_rtt = take(opts, "max_rtt", duration(min=0.0001, max=REPLY_TIMEOUT), where, problems, None)
    version = take(opts, "ip_version", ip_version, where, problems, 0)
    if host is not None and version:
        literal = ip_literal(host)
        if literal is not None and literal.version != version:
            problems.add(where + ("ip_version",), f"is {version}, but the url's host {host} "
                                                  f"is an IPv{literal.version} address")
    if host is None or len(problems.items) != before:
        return None
    return IcmpTarget(host, packets, interval, max_loss, max_rtt, version)


def parse_url(url: Any) -> str:
    """The host of `icmp://host` (normalized, without brackets)."""
    if not isinstance(url, str):
        raise Invalid(f"must be a string, got {type_name(url)}")
    form = f"must be icmp://host, got '{url}'"
    try:
        parts = urlsplit(url)
    except ValueError:  # unbalanced brackets
        raise Invalid(form) from None
    if parts.scheme.lower() != "icmp" or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise Invalid(form)
    host, port = split_host_port(parts.netloc, url, "icmp://host")
    if port is not None:
        raise Invalid(f"must be icmp://host without a port (ICMP has no ports), got '{url}'")
    return host


def percent(value: Any) -> float:
    """0-100, written 20, 12.5 or "20%"."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip().removesuffix("%"))
        except ValueError:
            raise Invalid(f"must be a percentage from 0 to 100, like 20 or 20%, got '{value}'") from None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"must be a percentage from 0 to 100, like 20 or 20%, got {type_name(value)}")
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise Invalid(f"must be from 0 to 100 (percent), got {value}")
    return float(number)


def ip_version(value: Any) -> int:
    if value == "auto":
        return 0
    if value in (4, 6, "4", "6") and not isinstance(value, (bool, float)):
        return int(value)
    shown = f"'{value}'" if isinstance(value, str) else (
        f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else type_name(value))
    raise Invalid(f"must be auto, 4 or 6, got {shown}")


# -- the probe ---------------------------------------------------------------------

async def probe(target: IcmpTarget, phases: Phases) -> ProbeResult:
    phases.enter("resolve")
    literal = target.literal
    if literal is not None and target.ip_version in (0, 4 if literal[0] == socket.AF_INET else 6):
        family, sockaddr, address = literal
        if _opened_on() is not asyncio.get_running_loop():
            await _ensure_open()
    else:
        addresses = await resolve(target.host, 0)
        if target.ip_version:
            wanted = socket.AF_INET if target.ip_version == 4 else socket.AF_INET6
            addresses = [address for address in addresses if address[0] == wanted]
            if not addresses:
                raise ProbeError("dns_error", f"could not resolve '{target.host}': "
                                              f"no IPv{target.ip_version} address")
        if _opened_on() is not asyncio.get_running_loop():
            await _ensure_open()
        # auto: the first address (IPv4 first) of a family with a socket
        family, sockaddr = next((address for address in addresses if address[0] in _sockets), addresses[0])
        address = socket.inet_pton(family, sockaddr[0].partition("%")[0])
    icmp_socket = _socket_for(family)
    phases.details["address"] = sockaddr[0]
    phases.enter("echo")
    details = phases.details
    details.update(packets_sent=0, packets_received=0)
    packets: list[_Packet] = []
    try:
        for index in range(target.packets):
            if index:
                await asyncio.sleep(target.packet_interval)
            packets.append(icmp_socket.send(sockaddr, address))
            details["packets_sent"] = len(packets)
            details["packets_received"] = _received(packets)
        for packet in packets:
            waiter = packet.waiter
            if not waiter.done():
                left = packet.sent + REPLY_TIMEOUT - time.perf_counter()
                if left > 0:
                    # a timer that ends the wait, cheaper than asyncio.wait's machinery per packet
                    expiry = waiter.get_loop().call_later(left, _give_up, waiter)
                    try:
                        await waiter
                    finally:
                        expiry.cancel()
            details["packets_received"] = _received(packets)
    finally:
        for packet in packets:
            icmp_socket.forget(packet)
    return _outcome(target, phases, packets)


def _give_up(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _answered(packet: _Packet) -> bool:
    """A reply came within REPLY_TIMEOUT (a later one was read, but the packet counts as lost)."""
    return packet.received is not None and packet.received - packet.sent <= REPLY_TIMEOUT


def _received(packets: list[_Packet]) -> int:
    return sum(1 for packet in packets if _answered(packet))


def _outcome(target: IcmpTarget, phases: Phases, packets: list[_Packet]) -> ProbeResult:
    details = phases.details
    rtts = [(packet.received - packet.sent) * 1000 for packet in packets if _answered(packet)]
    sent, received = len(packets), len(rtts)
    lost = sent - received
    details["packets_sent"], details["packets_received"] = sent, received
    details["packet_loss"] = round(lost * 100 / sent, 1)
    average = sum(rtts) / received if rtts else None
    if rtts:
        details.update(rtt_min_ms=round(min(rtts), 3), rtt_avg_ms=round(average, 3),
                       rtt_max_ms=round(max(rtts), 3))
    if lost == sent or lost * 100 > target.max_loss * sent:
        loss_text = f"{details['packet_loss']:g}% packet loss ({sent} sent, {received} received)"
        message = loss_text if lost == sent else f"{loss_text}, max {target.max_loss:g}%"
        errors = [packet.error for packet in packets if packet.error]
        if errors:
            message += f": {errors[-1]}"
        result = phases.failure("connection_error", message)
    elif target.max_rtt is not None and average is not None and average > target.max_rtt * 1000:
        result = phases.degraded("slow_response", f"average round trip {average:.1f}ms, "
                                                  f"max {format_duration(target.max_rtt)}")
    else:
        result = phases.success()
    if average is not None:
        result.latency_ms = average
    return result


__all__ = ["IcmpTarget", "REPLY_TIMEOUT", "close", "open", "prepare", "probe"]
