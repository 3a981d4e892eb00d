"""A channel whose receiver answers 500 three times then 200 delivers the
alert once, with four attempts recorded; a channel that is down across a
daemon restart delivers after the restart, once."""

from __future__ import annotations

from alertkit import Receiver, one_channel, webhook_channel
from loopback import closed_port, eventually


def config(receiver_url: str, storage: str = "") -> str:
    return one_channel(webhook_channel(receiver_url), more=f"""
        {storage}
        monitors:
          - key: db
            type: tcp
            url: "tcp://127.0.0.1:{closed_port()}"
            interval: 1s
            confirmation: {{failures: 1}}
        """)


async def alerts(api) -> list[dict]:
    await api.daemon.writer.flush()
    status, _, page = await api.request("GET", "/api/alerts")
    assert status == 200, page
    return page["data"]


async def test_three_failures_then_a_success_make_one_delivery_of_four_attempts(start_api, receiver):
    receiver.script = [500, 500, 500]
    api = await start_api(config(receiver.url("/hook")))
    api.daemon.alerts.policy.backoff_base = 0.05
    await eventually(lambda: len(receiver.got) >= 4, timeout=15)

    async def sent():
        found = await alerts(api)
        return found and found[0]["status"] == "sent" and found
    [alert] = await eventually(sent, timeout=5)
    assert alert["reason"] == "opened" and alert["channel_type"] == "webhook"
    assert [a["attempt"] for a in alert["attempts"]] == [1, 2, 3, 4]
    assert [a["status_code"] for a in alert["attempts"]] == [500, 500, 500, 200]
    assert [a["ok"] for a in alert["attempts"]] == [False, False, False, True]
    assert all(a["error"].startswith("HTTP 500") for a in alert["attempts"][:3])
    assert len({got.body for got in receiver.got}) == 1  # the same message each time
    assert len(receiver.got) == 4


async def test_a_channel_down_across_a_restart_delivers_after_it(start_api, tmp_path):
    port = closed_port()
    storage = f'storage: {{path: "{tmp_path / "kept.db"}"}}'
    api = await start_api(config(f"http://127.0.0.1:{port}/hook", storage))
    api.daemon.alerts.policy.backoff_base = 0.05

    async def failing():
        found = await alerts(api)
        return found and len(found[0]["attempts"]) >= 2 and found
    [alert] = await eventually(failing, timeout=15)
    assert alert["status"] == "queued" and alert["error"]
    await api.daemon.stop()  # the fixture's stop of it later does nothing more

    receiver = await Receiver().start(port)
    try:
        again = await start_api(config(f"http://127.0.0.1:{port}/hook", storage))
        await eventually(lambda: len(receiver.got) >= 1, timeout=15)

        async def sent():
            found = await alerts(again)
            return found and found[0]["status"] == "sent" and found
        [after] = await eventually(sent, timeout=5)
        assert after["id"] == alert["id"]  # the same alert, not a new one
        assert after["attempts"][-1]["ok"] and after["attempts"][-1]["attempt"] == len(after["attempts"])
        assert len(receiver.got) == 1
    finally:
        await receiver.close()
