"""Deliveries also carry the Standard Webhooks headers (webhook-id,
webhook-timestamp, webhook-signature), and the official `standardwebhooks`
library verifies a real delivery: an API endpoint's secret passed as the
string it is, a config file's secret passed as its bytes (docs/api.md);
standard_key says which bytes are the key, for every form of secret."""

from __future__ import annotations

import base64

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from hookkit import SECRET, Receiver, webhooks_yaml
from upstatd.delivery import sign
from upstatd.store.webhooks import new_secret

RAW = bytes(range(32))
URLSAFE = "whsec_" + base64.urlsafe_b64encode(b"\xfb\xef\xbe" * 10).decode()  # "-_-_..."


async def test_the_library_verifies_an_api_endpoints_delivery(api):
    receiver = await Receiver().start()
    try:
        status, _, made = await api.request("POST", "/api/webhook-endpoints", json={
            "url": receiver.url, "events": ["monitor.updated"]})
        assert status == 201, made
        event = api.daemon.bus.emit("monitor.updated", {"id": "mon_1", "name": "Café ✓"}, api.clock.time())
        await receiver.wait_for(1)
    finally:
        await receiver.close()
    got = receiver.got[0]
    assert got.headers["webhook-id"] == got.headers["Upstat-Event-Id"] == event.id
    assert got.headers["Upstat-Signature"].startswith(f"t={got.headers['webhook-timestamp']},v1=")
    assert Webhook(made["secret"]).verify(got.body, dict(got.headers)) == got.json
    with pytest.raises(WebhookVerificationError):
        Webhook(made["secret"]).verify(got.body.replace(b"mon_1", b"mon_2"), dict(got.headers))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(got.body, dict(got.headers))
    assert sign.verify(made["secret"], got.body, got.headers["Upstat-Signature"])  # unchanged beside it


async def test_the_library_verifies_a_config_endpoints_delivery_with_the_secrets_bytes(start_api):
    receiver = await Receiver().start()
    try:
        api = await start_api(webhooks_yaml(receiver.url, events='["monitor.*"]'))
        api.daemon.bus.emit("monitor.down", {"id": "mon_1"}, api.clock.time())
        await receiver.wait_for(1)
    finally:
        await receiver.close()
    got = receiver.got[0]
    assert Webhook(SECRET.encode()).verify(got.body, dict(got.headers))["type"] == "monitor.down"


@pytest.mark.parametrize("secret, key", [
    ("whsec_" + base64.b64encode(RAW).decode(), RAW),                    # upstatd's form (new_secret)
    ("whsec_" + base64.b64encode(RAW).decode().rstrip("="), RAW),        # unpadded base64
    (URLSAFE, URLSAFE.encode()),                                          # `-` and `_`: not standard base64
    ("whsec_abc", b"i\xb7"),                                             # short, but base64
    ("whsec_abcde", b"whsec_abcde"),                                      # no base64 has 4n+1 characters
    ("whsec_", b"whsec_"),
    (SECRET, SECRET.encode()),                                            # a config secret as it is
    ("0123456789abcdef0123456789abcdef", b"0123456789abcdef0123456789abcdef"),  # hex, without whsec_
])
def test_which_bytes_are_the_key(secret, key):
    assert sign.standard_key(secret) == key


def test_the_signature_is_the_spec_s_and_new_secrets_are_base64():
    secret = new_secret()
    assert sign.standard_key(secret) == base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    assert len(sign.standard_key(secret)) == 32
    header = sign.standard_signature(secret, "evt_1", 1795400000, b"{}")
    assert header == Webhook(secret).sign("evt_1", _at(1795400000), "{}")


def _at(seconds: int):
    import datetime
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
