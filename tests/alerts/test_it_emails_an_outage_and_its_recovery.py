"""End to end: a loopback TCP monitor goes down and up; a real SMTP server
(aiosmtpd) on loopback gets the outage email and the recovery email, each
with a text and an HTML part naming the monitor, the error and the duration;
GET /api/incidents/{id}/alerts lists both alerts as sent."""

from __future__ import annotations

import asyncio

from alertkit import email_channel, one_channel
from loopback import closed_port, eventually


async def test_an_outage_and_its_recovery_are_emailed(start_api, smtp):
    port = closed_port()
    target = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
    try:
        api = await start_api(one_channel(email_channel(smtp), key="ops-mail", more=f"""
            monitors:
              - key: db
                name: orders database
                type: tcp
                url: "tcp://127.0.0.1:{port}"
                interval: 1s
                confirmation: {{failures: 1, successes: 1, recheck: 1s}}
            """))
        target.close()
        await target.wait_closed()
        await eventually(lambda: len(smtp.mails) >= 1, timeout=15)
        down = smtp.mails[0]
        assert down.recipients == ["ops@example.com"] and down.sender == "upstatd@example.com"
        assert down.message["Subject"].startswith("[DOWN] monitor orders database is down")
        for part in (down.part("plain"), down.part("html")):
            assert "orders database" in part and f"127.0.0.1:{port}" in part
            assert "connection_error" in part or "refused" in part.lower()

        target = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
        await eventually(lambda: len(smtp.mails) >= 2, timeout=15)
        up = smtp.mails[1]
        assert "RECOVERED" in up.message["Subject"] and "is up again after" in up.message["Subject"]
        assert "down for" in up.part("plain") and "down for" in up.part("html")

        status, _, incidents = await api.request("GET", "/api/incidents")
        incident = incidents["data"][0]
        await api.daemon.writer.flush()

        async def both_sent():
            status, _, page = await api.request("GET", f"/api/incidents/{incident['id']}/alerts")
            assert status == 200, page
            return [(a["reason"], a["status"]) for a in page["data"]] == [("resolved", "sent"), ("opened", "sent")]
        await eventually(both_sent, timeout=5)
        status, _, page = await api.request("GET", f"/api/incidents/{incident['id']}/alerts")
        for alert in page["data"]:
            assert alert["object"] == "alert" and alert["id"].startswith("alt_")
            assert alert["channel_type"] == "email" and alert["channel_id"].startswith("ch_")
            assert len(alert["attempts"]) == 1 and alert["attempts"][0]["ok"] is True
    finally:
        target.close()
