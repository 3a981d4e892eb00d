"""Webhook signatures: `Upstat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The HMAC key is the endpoint's secret (UTF-8), the message is
`"<t>." + body` (the raw body bytes as sent). A receiver recomputes it,
compares in constant time, and refuses a timestamp older (or newer) than the
tolerance (5 minutes), so a captured request cannot be replayed later.
Several `v1=` values may appear (during a secret rotation): any one matching
is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Upstat-Signature"
EVENT_ID_HEADER = "Upstat-Event-Id"
TOLERANCE = 300  # seconds


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>." + body` under `secret`."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value: `t=1795400000,v1=5257a869…`."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, body: bytes, header: str, tolerance: float = TOLERANCE,
           now: float | None = None) -> bool:
    """True when `header` carries a v1 signature of `body` under `secret` made
    within `tolerance` seconds of `now`."""
    timestamp, candidates = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
