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


async def test_an_outage_and_its_recovery_reach_the_receiver_signed(start_api):
    """Down: the incident opens after confirmation and is delivered; up: it resolves with
    its duration, and that is delivered too."""
    import asyncio

    from loopback import closed_port as free_port

    port = free_port()
    listener = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
    receiver = await Receiver().start()
    try:
        api = await start_api(f"""
            monitors:
              - key: db
                type: tcp
                url: "tcp://127.0.0.1:{port}"
                interval: 1s
                confirmation: {{failures: 2, successes: 1, recheck: 1s}}
            webhooks:
              - {{key: ops, url: "{receiver.url}", events: ["incident.*"], secret: "{SECRET}"}}
            """)
        listener.close()
        await listener.wait_closed()
        await receiver.wait_for(1, timeout=15)
        opened = receiver.got[0].json
        assert opened["type"] == "incident.created"
        assert opened["data"]["object"]["type"] == "connection_error"
        listener = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
        await receiver.wait_for(2, timeout=15)
        resolved = receiver.got[1].json
        assert resolved["type"] == "incident.resolved"
        incident = resolved["data"]["object"]
        assert incident["id"] == opened["data"]["object"]["id"] and incident["status"] == "resolved"
        # duration to the millisecond; the times are whole seconds
        assert abs(incident["duration_seconds"] - (incident["resolved_at"] - incident["started_at"])) < 1
        assert incident["duration_seconds"] >= 0.5  # two failed checks a second apart, then a good one
        for item in receiver.got[:2]:
            assert verify(SECRET, item.body, item.headers["Upstat-Signature"])
        status, _, summary = await api.request("GET", f"/api/monitors/{incident['affected_monitor_ids'][0]}/status")
        assert (status, summary["last_incident_at"]) == (200, incident["started_at"])
    finally:
        listener.close()
        await receiver.close()
