"""A link made for a person's own channel carries the person, signed with the
rest: it reads back as made, a person spliced into another link's payload
fails the signature, and a link made without one (as before people) reads
with no person."""

from __future__ import annotations

import base64

import pytest

from upstatd.alerts import links

KEY = b"k" * 32
NOW = 1_800_000_000


def _payload_and_mac(token: str) -> tuple[bytes, bytes]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return raw[:-links.MAC_SIZE], raw[-links.MAC_SIZE:]


@pytest.mark.parametrize("person_id", [None, "usr_0123456789abcdefABCDEF"])
def test_a_link_reads_back_with_its_person(person_id):
    token = links.make(KEY, "inc_1", "acknowledge", NOW + 60, person_id)
    assert links.read(KEY, token, NOW) == links.Link("inc_1", "acknowledge", NOW + 60, person_id)


def test_a_person_spliced_into_a_link_fails_its_signature():
    token = links.make(KEY, "inc_1", "acknowledge", NOW + 60)
    payload, mac = _payload_and_mac(token)
    forged = base64.urlsafe_b64encode(payload + b"\0usr_boss" + mac).rstrip(b"=").decode()
    with pytest.raises(links.LinkRefused) as refused:
        links.read(KEY, forged, NOW)
    assert refused.value.reason == "bad_signature"


@pytest.mark.parametrize("person_id", ["", "usr_bad id", "usr_" + "x" * 70])
def test_a_person_that_cannot_be_written_is_refused_when_making(person_id):
    with pytest.raises(ValueError, match="person id"):
        links.make(KEY, "inc_1", "acknowledge", NOW + 60, person_id)


def test_the_urls_of_a_persons_alert_carry_them():
    acknowledge, resolve = links.urls(KEY, "https://status.example", "inc_1", NOW, "usr_anna")
    for url, action in ((acknowledge, "acknowledge"), (resolve, "resolve")):
        link = links.read(KEY, url.rsplit("/", 1)[1], NOW)
        assert (link.action, link.person_id) == (action, "usr_anna")
    assert len(acknowledge.rsplit("/", 1)[1]) <= links.MAX_TOKEN
