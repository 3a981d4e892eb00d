"""Acknowledge and resolve links carry a signed, expiring token naming one
incident and one action (alerts/links.py, pure): it reads back as made, and
any change, another key, an action links do not do, an expiry reached or a
token too long to be one is refused with its own reason."""

from __future__ import annotations

import base64

import pytest

from upstatd.alerts import links
from upstatd.alerts.links import TTL, Link, LinkRefused

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
INC = "inc_4kT9qZ0aB1cD2eF3gH4iJ5"
EXPIRES = 1_800_000_000


def raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def flip(token: str, index: int) -> str:
    """The token with one bit of its bytes flipped (the MAC is the last 32)."""
    data = bytearray(raw(token))
    data[index] ^= 0x01
    return b64(bytes(data))


ACK = links.make(KEY, INC, "acknowledge", EXPIRES)
RESOLVE = links.make(KEY, INC, "resolve", EXPIRES)
PAYLOAD_END = len(raw(ACK)) - 32


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
@pytest.mark.parametrize("incident_id", [INC, "inc_0", "x" * 64, "inc_with_under_scores"])
def test_a_token_reads_back_as_made(incident_id, action):
    token = links.make(KEY, incident_id, action, EXPIRES)
    assert links.read(KEY, token, EXPIRES - 1) == Link(incident_id, action, EXPIRES)
    assert token.isascii() and "=" not in token and "/" not in token and "+" not in token
    assert len(token) <= links.MAX_TOKEN


def test_the_action_and_the_incident_are_in_the_signed_part():
    assert ACK != RESOLVE
    assert links.make(KEY, INC, "acknowledge", EXPIRES) == ACK  # deterministic
    assert links.make(KEY, INC + "x", "acknowledge", EXPIRES) != ACK


def swapped_action(token: str) -> str:
    """The payload's action rewritten to resolve, the MAC kept."""
    data = raw(token)
    return b64(data[:-32].replace(b"acknowledge", b"resolve") + data[-32:])


def swapped_mac(token: str, other: str) -> str:
    """One token's payload with another's MAC."""
    return b64(raw(token)[:-32] + raw(other)[-32:])


REFUSED = [
    # (what, key, token, now, reason)
    ("another key", OTHER, ACK, EXPIRES - 1, "bad_signature"),
    ("a bit of the incident id flipped", KEY, flip(ACK, 5), EXPIRES - 1, "bad_signature"),
    ("a bit of the expiry flipped", KEY, flip(ACK, PAYLOAD_END - 1), EXPIRES - 1, "bad_signature"),
    ("a bit of the MAC flipped", KEY, flip(ACK, -1), EXPIRES - 1, "bad_signature"),
    ("acknowledge rewritten to resolve", KEY, swapped_action(ACK), EXPIRES - 1, "bad_signature"),
    ("the resolve token's MAC on the acknowledge payload", KEY, swapped_mac(ACK, RESOLVE), EXPIRES - 1,
     "bad_signature"),
    ("the MAC cut short", KEY, b64(raw(ACK)[:-1]), EXPIRES - 1, "bad_signature"),
    ("no payload, only a MAC", KEY, b64(raw(ACK)[-32:]), EXPIRES - 1, "malformed"),
    ("empty", KEY, "", EXPIRES - 1, "malformed"),
    ("padding", KEY, ACK + "=" * (-len(ACK) % 4 or 4), EXPIRES - 1, "malformed"),
    ("standard base64 characters", KEY, ACK[:10] + "+/" + ACK[12:], EXPIRES - 1, "malformed"),
    ("a character outside base64", KEY, ACK[:10] + "." + ACK[11:], EXPIRES - 1, "malformed"),
    ("a length no bytes encode to", KEY, ACK + "A" * (5 - len(ACK) % 4), EXPIRES - 1, "malformed"),
    ("not valid base64 at all", KEY, "%%%", EXPIRES - 1, "malformed"),
    ("non-ASCII", KEY, ACK[:-1] + "é", EXPIRES - 1, "malformed"),
    ("one character over the bound", KEY, "A" * (links.MAX_TOKEN + 1), EXPIRES - 1, "malformed"),
    ("a hostile megabyte", KEY, ACK * 10_000, EXPIRES - 1, "malformed"),
    ("expired at the second it expires", KEY, ACK, EXPIRES, "expired"),
    ("expired a second later", KEY, ACK, EXPIRES + 1, "expired"),
    ("expired long ago", KEY, ACK, EXPIRES + 10 * 365 * 86400, "expired"),
    ("signed, but an action links do not do", KEY, links.seal(KEY, INC, "close", EXPIRES), 0, "unknown_action"),
    ("signed, but a bad signature wins over an unknown action", OTHER, links.seal(KEY, INC, "close", EXPIRES), 0,
     "bad_signature"),
    ("a bad signature wins over an expiry", OTHER, ACK, EXPIRES + 1, "bad_signature"),
]


@pytest.mark.parametrize("what, key, token, now, reason", REFUSED, ids=[case[0] for case in REFUSED])
def test_a_token_that_does_not_stand_is_refused_with_its_reason(what, key, token, now, reason):
    with pytest.raises(LinkRefused) as refused:
        links.read(key, token, now)
    assert refused.value.reason == reason
    assert str(refused.value) == links.MESSAGES[reason]


def test_the_second_before_the_expiry_is_still_valid():
    assert links.read(KEY, ACK, EXPIRES - 0.001).expires_at == EXPIRES


def test_the_mac_covers_a_domain_prefix():
    """The same key's HMAC over the bare payload (no prefix) is not this token's."""
    import hashlib
    import hmac
    payload = raw(ACK)[:-32]
    assert raw(ACK)[-32:] == hmac.new(KEY, links.DOMAIN + payload, hashlib.sha256).digest()
    bare = b64(payload + hmac.new(KEY, payload, hashlib.sha256).digest())
    with pytest.raises(LinkRefused, match="not made by this installation"):
        links.read(KEY, bare, 0)


@pytest.mark.parametrize("args", [
    (KEY, INC, "close", EXPIRES),            # links do not close
    (KEY, INC, "Acknowledge", EXPIRES),
    (KEY, "inc\0x", "acknowledge", EXPIRES),  # the separator inside a field
    (KEY, "", "acknowledge", EXPIRES),
    (KEY, "x" * 65, "acknowledge", EXPIRES),
    (KEY, INC, "acknowledge", -1),
    (KEY, INC, "acknowledge", 1.5),
    (KEY, INC, "acknowledge", True),
    (b"short", INC, "acknowledge", EXPIRES),  # a key too short to be one
])
def test_make_refuses_what_it_cannot_sign(args):
    with pytest.raises(ValueError):
        links.make(*args)


@pytest.mark.parametrize("public_url, base", [
    ("https://status.example", "https://status.example/incident-links/"),
    ("https://status.example/", "https://status.example/incident-links/"),
    ("https://example.org/upstat", "https://example.org/upstat/incident-links/"),
])
def test_urls_are_under_the_public_url_and_last_a_week(public_url, base):
    now = 1_700_000_000.7
    acknowledge, resolve = links.urls(KEY, public_url, INC, now)
    assert acknowledge.startswith(base) and resolve.startswith(base)
    assert links.read(KEY, acknowledge[len(base):], now) == Link(INC, "acknowledge", 1_700_000_000 + TTL)
    assert links.read(KEY, resolve[len(base):], now) == Link(INC, "resolve", 1_700_000_000 + TTL)
    assert TTL == 7 * 86400


@pytest.mark.parametrize("public_url", [None, ""])
def test_no_public_url_no_links(public_url):
    assert links.urls(KEY, public_url, INC, 1_700_000_000) == (None, None)
