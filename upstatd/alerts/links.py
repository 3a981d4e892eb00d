"""One-click acknowledge and resolve links for alert messages: a pure core.

Why pure: the link is a credential. Whoever holds it may move one incident,
one way, until it expires, with no API token. What makes that safe (the
signature, the expiry, what a hostile URL may cost) is decided here, over
plain values and a clock value given by the caller, so that a table of cases
can test every refusal without a daemon, a database or a sleep. The HTTP
side (api/links.py) only maps a refusal to a page and calls the incident
commands.

A token is base64url (no padding) of

    payload = incident_id NUL action NUL expires_at (decimal Unix seconds) [NUL person_id]
    token   = base64url(payload || HMAC-SHA256(key, DOMAIN || payload))

The person (`usr_…`) is there when the alert went to a person's own channel:
acknowledging through that link names them. It is signed like the rest, so
a holder cannot put another name in; a link without it reads as before.

DOMAIN separates these MACs from anything else the same key might ever sign.
The MAC is checked (hmac.compare_digest) before the payload is parsed, and the
token's length is bounded before anything is decoded. A link is valid while
`now < expires_at`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import NamedTuple

DOMAIN = b"upstatd-incident-link\0"
ACTIONS = ("acknowledge", "resolve")
TTL = 7 * 86400                      # seconds a link made by urls() stays valid
MIN_KEY = 16                         # bytes; the installation's key is 32 (store.settings.link_key)
MAC_SIZE = hashlib.sha256().digest_size
MAX_ID = 64                          # an incident id: inc_ and 22 base62 characters, with room
MAX_TOKEN = 256                      # characters; longer is refused before any decoding
PATH = "/incident-links/"

REASONS = ("malformed", "bad_signature", "unknown_action", "expired")
MESSAGES = {
    "malformed": "this link is not a valid incident link",
    "bad_signature": "this link was not made by this installation, or was changed",
    "unknown_action": "this link asks for an action that links cannot do",
    "expired": "this link has expired",
}

_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_ID = re.compile(r"[A-Za-z0-9_]{1,%d}" % MAX_ID)
_EXPIRY = re.compile(r"[0-9]{1,12}")


class Link(NamedTuple):
    incident_id: str
    action: str                      # one of ACTIONS
    expires_at: int                  # Unix seconds
    person_id: str | None = None     # usr_…: the alert went to this person's own channel


class LinkRefused(Exception):
    """A token that does not stand: `reason` is one of REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < MIN_KEY:
        raise ValueError(f"a link key is at least {MIN_KEY} bytes")


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(key: bytes, domain: bytes, payload: bytes) -> bytes:
    return hmac.new(key, domain + payload, hashlib.sha256).digest()


def sealed(key: bytes, domain: bytes, fields: list[str]) -> str:
    """base64url(payload || MAC) of the fields joined by NUL (each already checked to hold
    none): the token format of this module, shared with runbook links (another domain)."""
    _check_key(key)
    payload = "\0".join(fields).encode("ascii")
    return _encode(payload + _mac(key, domain, payload))


def opened(key: bytes, domain: bytes, token: str) -> list[str]:
    """The fields of a token sealed() wrote under `domain`, or LinkRefused: malformed (too
    long, not base64url, another spelling, not ASCII) or bad_signature (another key, another
    domain, or changed). The length is bounded before decoding, the MAC checked before parsing."""
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
    if not hmac.compare_digest(mac, _mac(key, domain, payload)):
        raise LinkRefused("bad_signature")
    try:  # signed by this key, so written by sealed(); parsed strictly all the same
        return payload.decode("ascii").split("\0")
    except ValueError:
        raise LinkRefused("malformed") from None


def seal(key: bytes, incident_id: str, action: str, expires_at: int, person_id: str | None = None) -> str:
    """The token for these fields, checking only that they can be written
    unambiguously (make() also checks the action)."""
    _check_key(key)
    if not isinstance(incident_id, str) or not _ID.fullmatch(incident_id):
        raise ValueError(f"an incident id is 1 to {MAX_ID} characters of A-Z a-z 0-9 _")
    if not isinstance(action, str) or not _ID.fullmatch(action):
        raise ValueError("an action is a word")
    if isinstance(expires_at, bool) or not isinstance(expires_at, int) or not _EXPIRY.fullmatch(str(expires_at)):
        raise ValueError("expires_at is a non-negative integer of Unix seconds")
    if person_id is not None and (not isinstance(person_id, str) or not _ID.fullmatch(person_id)):
        raise ValueError(f"a person id is 1 to {MAX_ID} characters of A-Z a-z 0-9 _")
    person = [] if person_id is None else [person_id]
    return sealed(key, DOMAIN, [incident_id, action, str(expires_at), *person])


def make(key: bytes, incident_id: str, action: str, expires_at: int, person_id: str | None = None) -> str:
    """A URL-safe token letting its holder `action` the incident until `expires_at` (as `person_id`)."""
    if action not in ACTIONS:
        raise ValueError(f"a link's action is one of {', '.join(ACTIONS)}, not {action!r}")
    return seal(key, incident_id, action, expires_at, person_id)


def read(key: bytes, token: str, now: float) -> Link:
    """The link the token holds, or LinkRefused: malformed (not a token this
    module writes), bad_signature (another key, or changed), unknown_action
    (signed, but not an action links do), expired (now >= expires_at)."""
    parts = opened(key, DOMAIN, token)
    if len(parts) not in (3, 4):
        raise LinkRefused("malformed")
    incident_id, action, expiry = parts[:3]
    person_id = parts[3] if len(parts) == 4 else None
    if not _ID.fullmatch(incident_id) or not _EXPIRY.fullmatch(expiry) or \
            (person_id is not None and not _ID.fullmatch(person_id)):
        raise LinkRefused("malformed")
    if action not in ACTIONS:
        raise LinkRefused("unknown_action")
    expires_at = int(expiry)
    if now >= expires_at:
        raise LinkRefused("expired")
    return Link(incident_id, action, expires_at, person_id)


def urls(key: bytes, public_url: str | None, incident_id: str, now: float,
         person_id: str | None = None) -> tuple[str | None, str | None]:
    """(acknowledge_url, resolve_url) for an alert about the incident, valid for
    TTL from now: `{public_url}/incident-links/{token}`; `person_id`: the alert went
    to that person's own channel. Without a public URL there is no address to link
    to: (None, None)."""
    if not public_url:
        return None, None
    base = public_url.rstrip("/") + PATH
    expires_at = int(now) + TTL
    return (base + make(key, incident_id, "acknowledge", expires_at, person_id),
            base + make(key, incident_id, "resolve", expires_at, person_id))
