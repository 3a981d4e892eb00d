"""`upstatd token create | list | revoke` as a subprocess, with the daemon
stopped (the CLI makes the database) and running (a revocation counts at once)."""

from __future__ import annotations

import json
import sqlite3
import time

from cli import upstatd


async def test_it_manages_tokens_without_the_daemon_and_the_daemon_honours_them(tmp_path, start_api):
    config = tmp_path / "config.yaml"
    db = tmp_path / "state" / "upstatd.db"
    config.write_text(f'storage: {{path: "{db}"}}\nmonitors: []\n')

    code, out, err = await upstatd("token", "list", "-c", str(config))
    assert code == 1 and "no database at" in err

    started = time.time()
    code, out, err = await upstatd("token", "create", "--name", "ci", "--permissions", "tokens:read,monitors:*",
                                   "--expires", "30d", "-c", str(config))
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("upst_") and out.count("\n") == 1  # stdout: the secret alone
    assert "will not be shown again" in err and secret not in err
    assert "tokens:read" in err and "monitors:*" in err
    assert oct(db.stat().st_mode & 0o777) == "0o600"

    code, out, err = await upstatd("token", "list", "--json", "-c", str(config))
    assert code == 0, err
    (token,) = json.loads(out)
    assert token["name"] == "ci" and token["object"] == "token" and "secret" not in token
    assert token["permissions"] == {"monitors": ["read", "create", "update", "delete"], "tokens": ["read"]}
    assert abs(token["expires_at"] - (started + 30 * 86400)) < 60
    assert secret not in out

    with sqlite3.connect(db) as conn:  # the first token pins the API version, from the CLI too
        assert conn.execute("SELECT value FROM settings WHERE key = 'api_version'").fetchone() is not None

    # The daemon then starts with a token present: it makes no admin token, and the CLI's one works.
    api = await start_api(f'storage: {{path: "{db}"}}')
    assert api.admin_token is None and not (db.parent / "admin-token").exists()
    status, _, listed = await api.request("GET", "/api/tokens", token=secret)
    assert status == 200 and [token["name"] for token in listed["data"]] == ["ci"]
    assert (await api.request("GET", "/api/tokens/" + token["id"], token=secret))[2]["id"] == token["id"]

    # Revoked with the daemon stopped: refused once it runs again.
    await api.daemon.stop()
    code, out, err = await upstatd("token", "revoke", token["id"], "-c", str(config))
    assert code == 0 and f"revoked {token['id']}" in out, err
    await api.daemon.start()
    status, _, body = await api.request("GET", "/api/tokens", token=secret)
    assert status == 401 and "revoked" in body["error"]["message"]


async def test_it_manages_tokens_while_the_daemon_runs(api):
    config = str(api.config_path)
    code, out, err = await upstatd("token", "create", "--name", "from cli", "--permissions", "tokens:read",
                                   "-c", config)
    assert code == 0, err
    secret = out.strip()
    status, _, listed = await api.request("GET", "/api/tokens", token=secret)
    assert status == 200
    assert [token["name"] for token in listed["data"]] == ["from cli", "admin"]
    token_id = listed["data"][0]["id"]

    code, out, err = await upstatd("token", "list", "-c", config)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "NAME", "PERMISSIONS"]
    assert token_id in lines[1] and "tokens:read" in lines[1] and "active" in lines[1]
    assert "admin" in lines[2] and " * " in lines[2]

    code, out, err = await upstatd("token", "revoke", token_id, "-c", config)
    assert code == 0, err
    assert f"revoked {token_id}" in out
    status, _, body = await api.request("GET", "/api/tokens", token=secret)  # at once
    assert status == 401 and "revoked" in body["error"]["message"]
    code, out, _ = await upstatd("token", "revoke", token_id, "-c", config)
    assert code == 0 and "already revoked" in out
    code, out, _ = await upstatd("token", "list", "-c", config)
    assert "revoked" in out.splitlines()[1]
    _, _, fetched = await api.request("GET", f"/api/tokens/{token_id}")
    assert fetched["revoked_at"] is not None

    code, _, err = await upstatd("token", "revoke", "tok_nope", "-c", config)
    assert code == 1 and "no token with id 'tok_nope'" in err


async def test_it_refuses_bad_arguments(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f'storage: {{path: "{tmp_path / "upstatd.db"}"}}\nmonitors: []\n')
    for args, words in ((["--permissions", "monitors:write"], "unknown action 'write'"),
                        (["--permissions", "servers:read"], "unknown resource 'servers'"),
                        (["--permissions", "monitors"], "must be resource:action"),
                        (["--permissions", "*", "--expires", "soon"], "--expires: must be a duration"),
                        (["--permissions", "*", "--expires", "0s"], "longer than 0s")):
        code, out, err = await upstatd("token", "create", "--name", "x", *args, "-c", str(config))
        assert (code, out) == (2, ""), err
        assert words in err
    code, out, err = await upstatd("token", "list", "--json", "-c", str(config))
    assert code == 0 and json.loads(out) == []
