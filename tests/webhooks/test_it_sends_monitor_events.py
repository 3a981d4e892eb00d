"""End to end: a loopback TCP monitor that goes down reaches a receiver as a
signed monitor.down event, and the incident it opened as incident.created,
in the order they happened."""

from __future__ import annotations

from hookkit import SECRET, Receiver
from loopback import closed_port
from upstatd.delivery.sign import verify


async def test_a_monitor_going_down_is_delivered(start_api):
    receiver = await Receiver().start()
    try:
        api = await start_api(f"""
            monitors:
              - key: db
                type: tcp
                url: "tcp://127.0.0.1:{closed_port()}"
                interval: 1s
                confirmation: {{failures: 1}}
            webhooks:
              - {{key: ops, url: "{receiver.url}", events: ["monitor.down", "incident.*"], secret: "{SECRET}"}}
            """)
        await receiver.wait_for(2, timeout=10)
        down, opened = receiver.got[:2]
        assert down.json["type"] == "monitor.down" and opened.json["type"] == "incident.created"
        monitor = down.json["data"]["object"]
        assert monitor["key"] == "db" and monitor["id"].startswith("mon_")
        assert monitor["id"] in opened.json["data"]["object"]["affected_monitor_ids"]
        for item in (down, opened):
            assert verify(SECRET, item.body, item.headers["Upstat-Signature"])
            assert item.headers["Upstat-Event-Id"] == item.json["id"]
        status, _, event = await api.request("GET", f"/api/events/{down.json['id']}")
        assert status == 200 and event == down.json  # the body is the event as the API shows it
    finally:
        await receiver.close()
