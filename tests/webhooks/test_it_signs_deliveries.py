"""Signatures: the recipes in docs/api.md (Python and shell, run as written)
accept a real delivery and refuse a changed body, a stale timestamp (5 min
tolerance) and another secret; upstatd.delivery.sign agrees with them."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hookkit import SECRET, Receiver
from upstatd.delivery import sign

DOCS = Path(__file__).parent.parent.parent / "docs" / "api.md"


def recipe(language: str) -> str:
    section = DOCS.read_text().split("\n## Webhooks\n", 1)[1].split("\n## ", 1)[0]
    verifying = section.split("### Verifying a signature", 1)[1]
    return re.search(rf"```{language}\n(.*?)```", verifying, re.S).group(1)


def python_verify():
    scope: dict = {}
    exec(compile(recipe("python"), "docs/api.md", "exec"), scope)
    return scope["verify"]


def shell_verify(tmp_path: Path, secret: str, body: bytes, header: str) -> str:
    (tmp_path / "body.json").write_bytes(body)
    done = subprocess.run(["bash", "-c", recipe("sh")], cwd=tmp_path, capture_output=True, text=True,
                          env={"SECRET": secret, "SIG": header, "PATH": "/usr/bin:/bin"}, timeout=10)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def test_the_documented_recipes_verify_a_real_delivery(api, tmp_path):
    receiver = await Receiver().start()
    try:
        status, _, made = await api.request("POST", "/api/webhook-endpoints", json={
            "url": receiver.url, "events": ["monitor.updated"]})
        assert status == 201, made
        secret = made["secret"]
        api.daemon.bus.emit("monitor.updated", {"id": "mon_1", "name": "Café ✓"}, api.clock.time())
        await receiver.wait_for(1)
    finally:
        await receiver.close()
    got = receiver.got[0]
    header = got.headers["Upstat-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    verify = python_verify()
    assert verify(secret, got.body, header)
    assert sign.verify(secret, got.body, header)
    changed = got.body.replace(b"mon_1", b"mon_2")
    assert not verify(secret, changed, header)
    assert not verify(secret[:-1] + "x", got.body, header)
    assert not sign.verify(secret, changed, header)
    if shutil.which("openssl"):
        assert shell_verify(tmp_path, secret, got.body, header) == "valid"
        assert shell_verify(tmp_path, secret, changed, header) == "invalid"
        assert shell_verify(tmp_path, "another-secret-of-length", got.body, header) == "invalid"


@pytest.mark.parametrize("age, valid", [(0, True), (290, True), (-290, True), (310, False), (-310, False),
                                        (3600, False)])
def test_a_stale_timestamp_is_refused(tmp_path, age, valid):
    body = b'{"id": "evt_1", "object": "event"}'
    header = sign.sign(SECRET, body, int(time.time()) - age)
    assert python_verify()(SECRET, body, header) is valid
    assert sign.verify(SECRET, body, header) is valid
    if shutil.which("openssl") and age in (0, 3600):
        assert shell_verify(tmp_path, SECRET, body, header) == ("valid" if valid else "invalid")


def test_malformed_headers_are_refused():
    verify = python_verify()
    body = b"{}"
    for header in ("", "t=abc,v1=00", "v1=00", f"t={int(time.time())}", "garbage"):
        assert verify(SECRET, body, header) is False
        assert sign.verify(SECRET, body, header) is False


def test_the_signature_is_the_hmac_of_timestamp_dot_body():
    import hashlib
    import hmac
    expected = hmac.new(b"k" * 16, b"1795400000.{}", hashlib.sha256).hexdigest()
    assert sign.sign("k" * 16, b"{}", 1795400000) == f"t=1795400000,v1={expected}"
