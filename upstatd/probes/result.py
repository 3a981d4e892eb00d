"""What every probe returns, whatever its type, and the error taxonomy.

The error kinds are also the incident types, so the set is fixed here and
nowhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

ERROR_KINDS = (
    "timeout",           # the probe's one deadline passed
    "connection_error",  # refused, reset, unreachable, closed early
    "dns_error",         # the name did not resolve
    "ssl_error",         # handshake, certificate or hostname failure
    "status_code",       # HTTP status not among the expected ones
    "invalid_response",  # not a valid answer for the protocol (bad HTTP, redirect loop)
    "keyword_missing",   # body assertion failed
    "slow_response",     # answered correctly but slower than allowed
    "proxy_error",       # the HTTP proxy was reached but refused the way (407 or another answer to CONNECT)
)

PHASES = ("resolve", "connect", "tls", "first_byte", "transfer")


@dataclass(slots=True)
class ProbeResult:
    ok: bool
    latency_ms: float
    status_code: int | None = None
    # why it failed, or, with ok=True, why a good answer is only degraded
    # (slow_response, ssl_error for a certificate close to expiry)
    error_kind: str | None = None
    error_message: str | None = None
    # phase name -> milliseconds, only for phases the probe went through
    phases: dict[str, float] = field(default_factory=dict)
    # measurements of the type: rtt_min_ms, packet_loss, cert_expires_in_days, answers, ...
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def degraded(self) -> bool:
        return self.ok and self.error_kind is not None

    @property
    def outcome(self) -> str:
        """The state this result argues for: up, degraded or down."""
        return "down" if not self.ok else "degraded" if self.error_kind else "up"


class ProbeError(Exception):
    """Raised inside a probe to end it with a classified failure."""

    def __init__(self, kind: str, message: str, status_code: int | None = None) -> None:
        assert kind in ERROR_KINDS, kind
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status_code = status_code


class Phases:
    """Stopwatch for one probe: `enter("connect")` closes the running phase.

    Times add up across phases entered more than once (redirect hops), and
    `current` names the phase a timeout interrupted.
    """

    __slots__ = ("started", "current", "_mark", "ms", "details")

    def __init__(self) -> None:
        self.started = self._mark = time.perf_counter()
        self.current = "start"
        self.ms: dict[str, float] = {}
        # filled by the probe as it learns things; kept even when it times out
        self.details: dict[str, Any] = {}

    def enter(self, name: str) -> None:
        now = time.perf_counter()
        if self.current in PHASES:
            self.ms[self.current] = self.ms.get(self.current, 0.0) + (now - self._mark) * 1000
        self.current = name
        self._mark = now

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def _end(self) -> float:
        """Close the running phase (as enter("done")) and return the elapsed ms: one clock
        read for both, where enter() and elapsed_ms() took one each (every probe ends here)."""
        now = time.perf_counter()
        current = self.current
        if current in PHASES:
            self.ms[current] = self.ms.get(current, 0.0) + (now - self._mark) * 1000
        self.current = "done"
        self._mark = now
        return (now - self.started) * 1000

    def success(self, status_code: int | None = None) -> ProbeResult:
        return ProbeResult(True, self._end(), status_code, None, None, self.rounded(), self.details)

    def degraded(self, kind: str, message: str, status_code: int | None = None) -> ProbeResult:
        """A correct answer with a warning: slow, or a certificate close to expiry."""
        assert kind in ERROR_KINDS, kind
        return ProbeResult(True, self._end(), status_code, kind, message, self.rounded(), self.details)

    def failure(self, kind: str, message: str, status_code: int | None = None) -> ProbeResult:
        assert kind in ERROR_KINDS, kind
        interrupted = self.current
        elapsed = self._end()
        self.current = interrupted
        return ProbeResult(False, elapsed, status_code, kind, message, self.rounded(), self.details)

    def rounded(self) -> dict[str, float]:
        return {name: round(value, 3) for name, value in self.ms.items()}
