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

import re
from typing import NamedTuple

from upstatd.alerts import links
from upstatd.alerts.links import LinkRefused  # noqa: F401  (the same refusals: malformed, bad_signature, expired)

DOMAIN = b"upstatd-runbook-link\0"
TTL = 30 * 86400                     # seconds: read-only, and an incident can run for weeks
MAX_ID = 64
PATH = "/runbooks/"

REASONS = ("malformed", "bad_signature", "expired")

_ID = re.compile(r"[A-Za-z0-9_]{1,%d}" % MAX_ID)
_EXPIRY = re.compile(r"[0-9]{1,12}")


class RunbookLink(NamedTuple):
    runbook_id: str
    incident_id: str
    expires_at: int                  # Unix seconds


def make(key: bytes, runbook_id: str, incident_id: str, expires_at: int) -> str:
    """A URL-safe token letting its holder read the runbook, for the incident, until `expires_at`."""
    for name, value in (("runbook id", runbook_id), ("incident id", incident_id)):
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise ValueError(f"a {name} is 1 to {MAX_ID} characters of A-Z a-z 0-9 _")
    if isinstance(expires_at, bool) or not isinstance(expires_at, int) or not _EXPIRY.fullmatch(str(expires_at)):
        raise ValueError("expires_at is a non-negative integer of Unix seconds")
    return links.sealed(key, DOMAIN, [runbook_id, incident_id, str(expires_at)])


def read(key: bytes, token: str, now: float) -> RunbookLink:
    """The link the token holds, or LinkRefused: malformed (too long, not base64url,
    not a token this module writes), bad_signature (another key, another DOMAIN, or
    changed), expired (now >= expires_at)."""
    parts = links.opened(key, DOMAIN, token)
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
