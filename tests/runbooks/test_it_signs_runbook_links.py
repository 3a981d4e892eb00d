"""The runbook links' tokens (alerts/runbook_links.py), a pure core: a token reads
back as the runbook, incident and expiry it was made for until it expires, and
every other token is refused with its reason (malformed, bad_signature,
expired); an acknowledge link's token is not a runbook link's, nor the reverse."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from upstatd.alerts import links as incident_links
from upstatd.alerts import runbook_links
from upstatd.alerts.runbook_links import LinkRefused, RunbookLink, make, read, url

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
NOW = 1_700_000_000
GOOD = make(KEY, "rbk_pg", "inc_1", NOW + 60)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(payload: bytes, key: bytes = KEY, domain: bytes = runbook_links.DOMAIN) -> str:
    return _b64(payload + hmac.new(key, domain + payload, hashlib.sha256).digest())


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[index] ^= 1
    return _b64(bytes(raw))


def test_it_reads_back_what_it_made():
    assert read(KEY, GOOD, NOW) == RunbookLink("rbk_pg", "inc_1", NOW + 60)
    assert read(KEY, GOOD, NOW + 59.999).runbook_id == "rbk_pg"


@pytest.mark.parametrize("token, now, reason", [
    ("", NOW, "malformed"),
    ("a" * (incident_links.MAX_TOKEN + 1), NOW, "malformed"),               # too long: refused before decoding
    (GOOD + "=", NOW, "malformed"),                                         # padding is not in the alphabet
    (GOOD[:-1] + "!", NOW, "malformed"),
    ("abc", NOW, "malformed"),                                              # shorter than a MAC
    ("A" * 61, NOW, "malformed"),                                           # no base64 is 4k+1 characters long
    (_b64(b"x" * 10), NOW, "malformed"),
    (GOOD[:-2], NOW, "bad_signature"),                                      # cut short
    (_flip(GOOD, 2), NOW, "bad_signature"),                                 # the runbook id changed
    (_flip(GOOD, -1), NOW, "bad_signature"),                                # the MAC changed
    (make(OTHER_KEY, "rbk_pg", "inc_1", NOW + 60), NOW, "bad_signature"),   # another installation
    (_signed(b"rbk_pg\0inc_1\0" + str(NOW + 60).encode(), domain=incident_links.DOMAIN), NOW, "bad_signature"),
    (incident_links.make(KEY, "inc_1", "acknowledge", NOW + 60), NOW, "bad_signature"),  # an acknowledge link
    (_signed(b"rbk_pg\0inc_1"), NOW, "malformed"),                          # signed, but not what make() writes
    (_signed(b"rbk_pg\0inc_1\0" + str(NOW + 60).encode() + b"\0x"), NOW, "malformed"),
    (_signed(b"rbk_pg\0inc_1\0soon"), NOW, "malformed"),
    (_signed(b"rbk/pg\0inc_1\0" + str(NOW + 60).encode()), NOW, "malformed"),
    (_signed("rbk_pg\0inc_1\0١٢".encode()), NOW, "malformed"),              # not ASCII digits
    (GOOD, NOW + 60, "expired"),                                            # valid while now < expires_at
    (GOOD, NOW + 10**6, "expired"),
])
def test_it_refuses(token, now, reason):
    with pytest.raises(LinkRefused) as refused:
        read(KEY, token, now)
    assert refused.value.reason == reason and reason in runbook_links.REASONS


def test_a_runbook_token_is_not_an_acknowledge_link():
    with pytest.raises(incident_links.LinkRefused) as refused:
        incident_links.read(KEY, GOOD, NOW)
    assert refused.value.reason == "bad_signature"


@pytest.mark.parametrize("args", [
    (b"short", "rbk_pg", "inc_1", NOW),
    (KEY, "rbk/pg", "inc_1", NOW),
    (KEY, "rbk_pg", "", NOW),
    (KEY, "rbk_pg", "inc_1", -1),
    (KEY, "rbk_pg", "inc_1", True),
    (KEY, "r" * 65, "inc_1", NOW),
])
def test_it_makes_only_tokens_it_can_read(args):
    with pytest.raises(ValueError):
        make(*args)


def test_the_url_is_under_the_public_url_and_valid_for_its_ttl():
    made = url(KEY, "https://status.example.com/upstat/", "rbk_pg", "inc_1", NOW + 0.7)
    base, _, token = made.partition("?t=")
    assert base == "https://status.example.com/upstat/runbooks/rbk_pg"
    assert read(KEY, token, NOW) == RunbookLink("rbk_pg", "inc_1", NOW + runbook_links.TTL)
    assert url(KEY, None, "rbk_pg", "inc_1", NOW) is None and url(KEY, "", "rbk_pg", "inc_1", NOW) is None
