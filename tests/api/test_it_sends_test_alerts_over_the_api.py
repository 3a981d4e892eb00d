"""POST /api/alert-channels/{id}/test sends one message now, through the
channel as stored (enabled or not, from the config file or the API), and
answers {"object": "alert_channel_test", "ok", "alert"}: the alert it recorded
(reason test) with its one attempt. A receiver on loopback gets it once (the
channel's queue does not send it again); a closed port is ok false with the
error named. The alert is listed like the others."""

from __future__ import annotations

from alertkit import Receiver
from loopback import closed_port, eventually


async def test_a_test_reaches_the_receiver_once_and_is_listed(start_api):
    receiver = await Receiver().start()
    try:
        api = await start_api(f"""
            alert_channels:
              - key: ops-hook
                type: webhook
                webhook: {{url: "{receiver.url('/in')}"}}
            defaults: {{alert_channels: [ops-hook]}}
            """)
        _, _, page = await api.request("GET", "/api/alert-channels")
        channel = page["data"][0]
        status, _, tested = await api.request("POST", f"/api/alert-channels/{channel['id']}/test")
        assert status == 200, tested
        assert tested["object"] == "alert_channel_test" and tested["ok"] is True
        alert = tested["alert"]
        assert alert["object"] == "alert" and alert["id"].startswith("alt_")
        assert (alert["reason"], alert["status"], alert["channel_id"], alert["channel_type"], alert["incident_id"]) \
            == ("test", "sent", channel["id"], "webhook", None)
        (attempt,) = alert["attempts"]
        assert attempt["attempt"] == 1 and attempt["ok"] is True and attempt["status_code"] == 200
        assert attempt["error"] is None and attempt["latency_ms"] >= 0 and attempt["next_attempt_at"] is None
        assert len(receiver.got) == 1 and receiver.got[0].path == "/in"

        status, _, listed = await api.request("GET", f"/api/alerts?channel_id={channel['id']}")
        assert status == 200 and listed["data"] == [alert]
        status, _, got = await api.request("GET", f"/api/alerts/{alert['id']}")
        assert status == 200 and got == alert

        # the channel's queue goes on with the next alert, not the test again
        status, _, incident = await api.request("POST", "/api/incidents", json={"title": "disk full on db-1"})
        assert status == 201, incident
        await eventually(lambda: any(b"disk full on db-1" in got.body for got in receiver.got), timeout=10)
        assert len(receiver.got) == 2, [got.body[:80] for got in receiver.got]
        _, _, listed = await api.request("GET", f"/api/alerts?channel_id={channel['id']}")
        assert [a["reason"] for a in listed["data"]] == ["opened", "test"]
    finally:
        await receiver.close()


async def test_a_closed_port_is_a_failed_attempt_with_its_error(api):
    port = closed_port()
    _, _, channel = await api.request("POST", "/api/alert-channels", json={
        "type": "webhook", "enabled": False, "webhook": {"url": f"http://127.0.0.1:{port}/hook"}})
    status, _, tested = await api.request("POST", f"/api/alert-channels/{channel['id']}/test")
    assert status == 200, tested
    assert tested["ok"] is False
    alert = tested["alert"]
    assert alert["status"] == "failed" and alert["reason"] == "test"
    (attempt,) = alert["attempts"]
    assert attempt["ok"] is False and attempt["status_code"] is None
    assert str(port) in attempt["error"] and alert["error"] == attempt["error"]
    _, _, listed = await api.request("GET", f"/api/alerts?channel_id={channel['id']}&status=failed")
    assert [a["id"] for a in listed["data"]] == [alert["id"]]
    status, _, error = await api.request("POST", "/api/alert-channels/ch_nosuchchannel/test")
    assert status == 404 and error["error"]["type"] == "invalid_request_error"
    status, _, error = await api.request("POST", f"/api/alert-channels/{channel['id']}/test", json={"to": "x"})
    assert status == 400 and error["error"]["param"] == "to", error
