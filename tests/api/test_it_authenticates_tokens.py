"""Bearer tokens: the first start makes an admin token in a 0600 file and logs
only its path; no token, a malformed header, an unknown, revoked or expired
token are each a 401 with authentication_error."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import time

import aiohttp

from loopback import closed_port
from upstatd.permissions import resources
from upstatd.clock import FakeClock

NOW = 1_800_000_000


def assert_401(status: int, headers, body: dict, words: str) -> None:
    assert status == 401, body
    assert body["error"]["type"] == "authentication_error"
    assert body["error"]["code"] == "unauthenticated"
    assert words in body["error"]["message"]
    assert headers["WWW-Authenticate"] == 'Bearer realm="upstatd"'
    assert {"Request-Id", "Upstat-Version", "X-RateLimit-Limit", "X-RateLimit-Remaining",
            "X-RateLimit-Reset"} <= set(headers)


async def test_it_refuses_requests_without_a_valid_token(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    assert (await api.request("GET", "/api/tokens"))[0] == 200

    assert_401(*await api.request("GET", "/api/tokens", token=None), "no API token")
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token upst_abc", api.admin_token):
        assert_401(*await api.request("GET", "/api/tokens", token=None, headers={"Authorization": header}),
                   "must be 'Bearer <token>'")
    assert_401(*await api.request("GET", "/api/tokens", token="upst_" + "0" * 32), "not valid")
    assert_401(*await api.request("GET", "/api/tokens", token=api.admin_token[:-1]), "not valid")
    # the scheme is case-insensitive, surrounding blanks are ignored
    status, _, _ = await api.request("GET", "/api/tokens", token=None,
                                     headers={"Authorization": f"bearer  {api.admin_token} "})
    assert status == 200

    # revoked: at once
    _, _, made = await api.request("POST", "/api/tokens", json={"name": "r", "permissions": {"tokens": ["read"]}})
    assert (await api.request("GET", "/api/tokens", token=made["secret"]))[0] == 200
    await api.request("POST", f"/api/tokens/{made['id']}/revoke")
    assert_401(*await api.request("GET", "/api/tokens", token=made["secret"]), "revoked")

    # expired: valid until expires_at, refused from that second on
    _, _, made = await api.request("POST", "/api/tokens", json={
        "name": "e", "permissions": {"tokens": ["read"]}, "expires_at": NOW + 1})
    assert (await api.request("GET", "/api/tokens", token=made["secret"]))[0] == 200
    api.clock.advance(0.9)
    assert (await api.request("GET", "/api/tokens", token=made["secret"]))[0] == 200
    api.clock.advance(0.1)
    assert_401(*await api.request("GET", "/api/tokens", token=made["secret"]), "expired")
    # ...and the admin token is untouched by all this
    assert (await api.request("GET", "/api/tokens"))[0] == 200


async def test_it_makes_an_admin_token_once_on_first_start(start_api):
    api = await start_api()
    path = api.db_path.parent / "admin-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert api.admin_token.startswith("upst_") and path.read_text() == api.admin_token + "\n"
    _, _, listed = await api.request("GET", "/api/tokens")
    (admin,) = listed["data"]
    assert admin["name"] == "admin" and admin["expires_at"] is None
    assert all(actions == ["read", "create", "update", "delete"] for actions in admin["permissions"].values())
    assert list(admin["permissions"]) == list(resources())  # the route table's resources

    # The installation's API version is pinned with the first token.
    rows = await api.daemon.read_db.execute_fetchall("SELECT value FROM settings WHERE key = 'api_version'")
    assert rows and rows[0][0] == (await api.request("GET", "/api/tokens"))[1]["Upstat-Version"]

    # A restart finds a token and makes none (the file keeps the first secret).
    await api.daemon.stop()
    await api.daemon.start()
    assert path.read_text() == api.admin_token + "\n"
    _, _, listed = await api.request("GET", "/api/tokens")
    assert len(listed["data"]) == 1


async def test_it_logs_the_path_of_the_admin_token_but_never_the_secret(tmp_path):
    """The real `upstatd run`, its stderr read back."""
    port = closed_port()
    state = tmp_path / "state"
    config = tmp_path / "config.yaml"
    config.write_text(f'server: {{listen: "127.0.0.1:{port}"}}\nstorage: {{path: "{state}/upstatd.db"}}\n'
                      "monitors: []\n")
    log = tmp_path / "daemon.log"
    env = {key: value for key, value in os.environ.items() if key != "NOTIFY_SOCKET"}
    with log.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "upstatd", "run", "-c", str(config),
            stdout=asyncio.subprocess.DEVNULL, stderr=stderr, env=env)
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 15
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert proc.returncode is None and time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.05)
            secret = (state / "admin-token").read_text().strip()
            async with session.get(f"http://127.0.0.1:{port}/api/tokens",
                                   headers={"Authorization": f"Bearer {secret}"}) as response:
                assert response.status == 200
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    text = log.read_text()
    assert "api.admin_token_created" in text and str(state / "admin-token") in text
    assert secret not in text and secret[5:] not in text
    assert stat.S_IMODE((state / "admin-token").stat().st_mode) == 0o600
