"""Webhook signatures: `Upstat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The HMAC key is the endpoint's secret (UTF-8), the message is
`"<t>." + body` (the raw body bytes as sent). A receiver recomputes it,
compares in constant time, and refuses a timestamp older (or newer) than the
tolerance (5 minutes), so a captured request cannot be replayed later.
Several `v1=` values may appear (during a secret rotation): any one matching
is enough.

Alongside, the Standard Webhooks headers (standardwebhooks.com), so receivers
can verify with its libraries: `webhook-id` (the event id),
`webhook-timestamp` (the same Unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>." + body>`). The spec's key is
the base64 after `whsec_`; upstatd's own secrets are of that form, but a
secret from the config file may be any string, so `standard_key` says which
bytes are the key: the decoded base64 of a `whsec_<base64>` secret (what the
libraries do with the string), else the secret's UTF-8 bytes (what a
receiver passes to the library as bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

HEADER = "Upstat-Signature"
EVENT_ID_HEADER = "Upstat-Event-Id"
TOLERANCE = 300  # seconds
STANDARD_PREFIX = "whsec_"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>." + body` under `secret`."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value: `t=1795400000,v1=5257a869…`."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def standard_key(secret: str) -> bytes:
    """The HMAC key of `webhook-signature`: see the module's docstring."""
    if secret.startswith(STANDARD_PREFIX):
        encoded = secret[len(STANDARD_PREFIX):]
        try:  # strict: a character outside standard base64 (`-`, `_`) means it is not base64
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if key:
            return key
    return secret.encode()


def standard_signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>." + body>`."""
    message = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(standard_key(secret), message, hashlib.sha256).digest()).decode()


def headers(secret: str, event_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Every header that identifies and signs a delivery: upstatd's and the Standard Webhooks ones."""
    return {EVENT_ID_HEADER: event_id, HEADER: sign(secret, body, timestamp),
            "webhook-id": event_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_signature(secret, event_id, timestamp, body)}


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
