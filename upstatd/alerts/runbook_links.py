"""The runbook links of alert messages: a pure core.

An alert about an incident names the runbooks to follow; with `server.public_url`
set, each has a link to a read-only page of it (api/runbook_page.py):

    {public_url}/runbooks/{runbook_id}?t={token}

The token lets its holder read that one runbook, as shown for that one incident,
until it expires, with no API token (a responder reads it from a phone, from the
mail). It is signed like the acknowledge links (alerts/links.py), with a DOMAIN of
its own, so that neither kind of token can ever stand for the other:

    payload = runbook_id NUL incident_id NUL expires_at (decimal Unix seconds)
    token   = base64url(payload || HMAC-SHA256(key, DOMAIN || payload))

The token's length is bounded before anything is decoded, the MAC checked
(hmac.compare_digest) before the payload is parsed. A link is valid while
`now < expires_at`. Every refusal is one exception with a reason, so that a
table of cases can test them without a daemon; the page answers all of them
with the same 404, as it does an unknown runbook: a guessed URL learns nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import NamedTuple

DOMAIN = b"upstatd-runbook-link\0"
TTL = 30 * 86400                     # seconds: read-only, and an incident can run for weeks
MIN_KEY = 16                         # bytes; the installation's key is 32 (store.settings.link_key)
MAC_SIZE = hashlib.sha256().digest_size
MAX_ID = 64
MAX_TOKEN = 256                      # characters; longer is refused before any decoding
PATH = "/runbooks/"

REASONS = ("malformed", "bad_signature", "expired")

_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_ID = re.compile(r"[A-Za-z0-9_]{1,%d}" % MAX_ID)
_EXPIRY = re.compile(r"[0-9]{1,12}")


class RunbookLink(NamedTuple):
    runbook_id: str
    incident_id: str
    expires_at: int                  # Unix seconds


class LinkRefused(Exception):
    """A token that does not stand: `reason` is one of REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < MIN_KEY:
        raise ValueError(f"a link key is at least {MIN_KEY} bytes")


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, DOMAIN + payload, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make(key: bytes, runbook_id: str, incident_id: str, expires_at: int) -> str:
    """A URL-safe token letting its holder read the runbook, for the incident, until `expires_at`."""
    _check_key(key)
    for name, value in (("runbook id", runbook_id), ("incident id", incident_id)):
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise ValueError(f"a {name} is 1 to {MAX_ID} characters of A-Z a-z 0-9 _")
    if isinstance(expires_at, bool) or not isinstance(expires_at, int) or not _EXPIRY.fullmatch(str(expires_at)):
        raise ValueError("expires_at is a non-negative integer of Unix seconds")
    payload = f"{runbook_id}\0{incident_id}\0{expires_at}".encode("ascii")
    return _encode(payload + _mac(key, payload))


def read(key: bytes, token: str, now: float) -> RunbookLink:
    """The link the token holds, or LinkRefused: malformed (too long, not base64url,
    not a token this module writes), bad_signature (another key, another DOMAIN, or
    changed), expired (now >= expires_at)."""
    _check_key(key)
    if not isinstance(token, str) or len(token) > MAX_TOKEN or not _ALPHABET.fullmatch(token):
        raise LinkRefused("malformed")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except binascii.Error:
        raise LinkRefused("malformed") from None
    if _encode(raw) != token or len(raw) <= MAC_SIZE:  # one spelling per token; room for a payload
        raise LinkRefused("malformed")
    payload, mac = raw[:-MAC_SIZE], raw[-MAC_SIZE:]
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise LinkRefused("bad_signature")
    try:  # signed by this key, so written by make(); parsed strictly all the same
        parts = payload.decode("ascii").split("\0")
    except ValueError:
        raise LinkRefused("malformed") from None
    if len(parts) != 3 or not _ID.fullmatch(parts[0]) or not _ID.fullmatch(parts[1]) or \
            not _EXPIRY.fullmatch(parts[2]):
        raise LinkRefused("malformed")
    expires_at = int(parts[2])
    if now >= expires_at:
        raise LinkRefused("expired")
    return RunbookLink(parts[0], parts[1], expires_at)


def url(key: bytes, public_url: str | None, runbook_id: str, incident_id: str, now: float) -> str | None:
    """The page's address for an alert made at `now`, valid for TTL; without a public
    URL there is no address to link to: None."""
    if not public_url:
        return None
    token = make(key, runbook_id, incident_id, int(now) + TTL)
    return f"{public_url.rstrip('/')}{PATH}{runbook_id}?t={token}"
