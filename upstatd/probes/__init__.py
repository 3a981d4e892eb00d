"""The probe registry: one module per type, one entry per module.

Each probe module provides
    prepare(url, options, path, problems) -> target | None
        validate the monitor's `url` and its type block (`http:`, `tcp:`),
        filing errors in `problems`; returns a frozen, comparable target with
        everything precomputed that does not change between probes; a type
        with `environ=True` also takes the environment the config is read
        with (http, for `proxy: env`), as a fifth argument
    async probe(target, phases) -> ProbeResult
        one probe; expected failures end in `phases.failure(kind, message)`
        or a raised ProbeError, a good but slow (or nearly expired) answer in
        `phases.degraded(kind, message)`; measurements go in `phases.details`
    and, for types that share resources, `open()` / `close()` (see ProbeType)
    URL_SCHEMA, options_schema()
        the JSON Schema of the monitor's `url` for this type and of its type block,
        as far as JSON Schema can say what prepare() checks (the OpenAPI document)

`run_probe` puts the one deadline around every phase and reports a timeout
or an unexpected failure the same way for every type. Probes the scheduler
launches have it on the scheduler's wheel (`deadlines`: no loop timer per
probe); a probe run alone (`upstatd probe`) under asyncio.timeout.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from upstatd.probes import dns, http, icmp, tcp, tls
from upstatd.probes.result import ProbeError, ProbeResult, Phases
from upstatd.config.check import format_duration
from upstatd.scheduler.runner import Deadlines


class ProbeType(NamedTuple):
    prepare: Callable[..., Any]
    run: Callable[[Any, Phases], Awaitable[ProbeResult]]
    # Shared resources (ICMP sockets, DNS sockets): opened at start when a monitor of the
    # type exists, closed at stop. `open` raises ProbeSetupError with the fix.
    open: Callable[[], Awaitable[None]] | None = None
    close: Callable[[], Awaitable[None]] | None = None
    url_schema: dict | None = None                    # JSON Schema of the url (OpenAPI)
    options_schema: Callable[[], dict] | None = None  # JSON Schema of the type block (OpenAPI)
    environ: bool = False  # prepare() takes the environment too (read once, when the config is)


class ProbeSetupError(Exception):
    """A probe type cannot work on this host; the message says how to fix it."""


PROBES: dict[str, ProbeType] = {
    "http": ProbeType(http.prepare, http.probe, url_schema=http.URL_SCHEMA, options_schema=http.options_schema,
                      environ=True),
    "tcp": ProbeType(tcp.prepare, tcp.probe, url_schema=tcp.URL_SCHEMA, options_schema=tcp.options_schema),
    "dns": ProbeType(dns.prepare, dns.probe, dns.open, dns.close, url_schema=dns.URL_SCHEMA,
                     options_schema=dns.options_schema),
    "icmp": ProbeType(icmp.prepare, icmp.probe, icmp.open, icmp.close, url_schema=icmp.URL_SCHEMA,
                      options_schema=icmp.options_schema),
    "tls": ProbeType(tls.prepare, tls.probe, url_schema=tls.URL_SCHEMA, options_schema=tls.options_schema),
}


async def open_probe_types(kinds: set[str]) -> set[str]:
    """Open the shared resources of the probe types in use (the daemon's and an agent's);
    returns those opened."""
    opened = set()
    for kind in sorted(kinds):
        if PROBES[kind].open is not None:
            await PROBES[kind].open()
            opened.add(kind)
    return opened


async def run_probe(kind: str, target: Any, timeout: float, deadlines: Deadlines | None = None) -> ProbeResult:
    phases = Phases()
    if deadlines is None:
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                return await _run(kind, target, phases)
        except TimeoutError:
            if deadline.expired():
                return _timed_out(phases, timeout)
            raise
    armed = deadlines.arm(timeout)
    try:
        # the probe awaited here, not through _run: one coroutine less per probe
        return await PROBES[kind].run(target, phases)
    except asyncio.CancelledError:
        # ours only if the deadline fired and nothing else cancels the task too (a stop)
        if not deadlines.disarm(armed) and asyncio.current_task().uncancel() == 0:
            return _timed_out(phases, timeout)
        raise
    except _EXPECTED as exc:
        return _failed(phases, exc)
    finally:
        deadlines.disarm(armed)


def _timed_out(phases: Phases, timeout: float) -> ProbeResult:
    return phases.failure("timeout", f"no answer within {format_duration(timeout)} (during {phases.current})")


async def _run(kind: str, target: Any, phases: Phases) -> ProbeResult:
    try:
        return await PROBES[kind].run(target, phases)
    except _EXPECTED as exc:
        return _failed(phases, exc)


_EXPECTED = (ProbeError, ssl.SSLError, OSError)  # what ends a probe as a failure of its own kind


def _failed(phases: Phases, exc: Exception) -> ProbeResult:
    if isinstance(exc, ProbeError):
        return phases.failure(exc.kind, exc.message, exc.status_code)
    if isinstance(exc, TimeoutError):  # the kernel's ETIMEDOUT (the deadline's is run_probe's)
        return phases.failure("connection_error", describe_os_error(exc))
    if isinstance(exc, ssl.SSLError):
        detail = getattr(exc, "verify_message", None) or exc.reason or str(exc)
        return phases.failure("ssl_error", f"TLS failed: {detail}")
    return phases.failure("connection_error", describe_os_error(exc))


def describe_os_error(exc: OSError) -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[0].lower() + reason[1:]
