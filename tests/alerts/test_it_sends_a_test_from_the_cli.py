"""`upstatd notify-test CHANNEL -c CONFIG` (the real command, in a subprocess)
sends one test message through a channel named by its key in the config file
or its id, whether the daemon runs or not, and prints the attempt: exit 0 when
it got through, 1 when it failed (the error named), 2 for an unknown channel.
With a database that knows the channel the test is recorded as an alert, as
the API's test is; a database it cannot write to does not stop the send."""

from __future__ import annotations

import sqlite3
import textwrap

from alertkit import one_channel, webhook_channel
from cli import upstatd
from loopback import closed_port

TOKEN = "t0ken-in-the-path-71c"


def write_config(tmp_path, hook_url: str, other_url: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(f"""
        server: {{listen: "127.0.0.1:{closed_port()}"}}
        storage: {{path: "{tmp_path / 'state' / 'upstatd.db'}"}}
        monitors: []
        alert_channels:
          - key: ops-hook
            type: webhook
            webhook: {{url: "{hook_url}"}}
          - key: nowhere
            type: webhook
            webhook: {{url: "{other_url}"}}
        """))
    return str(path)


async def test_it_sends_through_a_config_channel_without_a_daemon(tmp_path, receiver):
    port = closed_port()
    config = write_config(tmp_path, receiver.url(f"/in/{TOKEN}"), f"http://127.0.0.1:{port}/x")
    status, out, err = await upstatd("notify-test", "ops-hook", "-c", config)
    assert status == 0, (out, err)
    assert out.startswith("ops-hook (webhook): ok, status 200, ") and out.rstrip().endswith(" ms"), out
    assert "not recorded" in err
    assert len(receiver.got) == 1 and receiver.got[0].path == f"/in/{TOKEN}"
    assert b'"reason": "test"' in receiver.got[0].body

    status, out, err = await upstatd("notify-test", "nowhere", "-c", config)
    assert status == 1, (out, err)
    assert out.startswith("nowhere (webhook): failed, no status, ") and f"127.0.0.1:{port}" in out, out

    status, out, err = await upstatd("notify-test", "ops-hok", "-c", config)
    assert status == 2 and out == ""
    assert "no alert channel 'ops-hok'" in err and "ops-hook, nowhere" in err, err
    status, out, err = await upstatd("notify-test", "-c", config)
    assert status == 2 and "CHANNEL" in err, err
    status, out, err = await upstatd("notify-test", "ops-hook", "-c", str(tmp_path / "missing.yaml"))
    assert status == 2 and err, err
    for text in (out, err):
        assert TOKEN not in text


async def test_beside_the_running_daemon_it_is_recorded_as_an_alert(start_api, receiver):
    api = await start_api(one_channel(webhook_channel(receiver.url(f"/in/{TOKEN}")), key="ops-hook"))
    _, _, page = await api.request("GET", "/api/alert-channels")
    channel = page["data"][0]
    for ref in ("ops-hook", channel["id"]):
        status, out, err = await upstatd("notify-test", ref, "-c", str(api.config_path))
        assert status == 0, (out, err)
        first, second = out.splitlines()
        assert first.startswith(f"ops-hook (webhook, {channel['id']}): ok, status 200"), out
        assert second.startswith("recorded as alert alt_"), out
        alert_id = second.rsplit(" ", 1)[1]
        status, _, alert = await api.request("GET", f"/api/alerts/{alert_id}")
        assert status == 200, alert
        assert (alert["reason"], alert["status"], alert["channel_id"]) == ("test", "sent", channel["id"])
        assert [a["ok"] for a in alert["attempts"]] == [True]
    assert len(receiver.got) == 2  # the daemon's queue does not send them again
    _, _, listed = await api.request("GET", f"/api/alerts?channel_id={channel['id']}")
    assert len(listed["data"]) == 2

    # the database busy with another writer: still sent, not recorded, said so
    holder = sqlite3.connect(str(api.db_path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        status, out, err = await upstatd("notify-test", "ops-hook", "-c", str(api.config_path))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 0, (out, err)
    assert "ok, status 200" in out and "recorded" not in out
    assert "sent, but not recorded" in err and "locked" in err, err
    assert len(receiver.got) == 3
