"""Flood control end to end: 200 monitors failing within 5 s give each
channel its first few alerts one by one, then one digest listing the rest;
every alert is still recorded (200 per channel), the suppressed ones with
the digest's id and its attempt."""

from __future__ import annotations

from alertkit import Receiver
from loopback import closed_port, eventually
from upstatd.alerts.flood import BURST

MONITORS = 200


async def test_two_hundred_failures_make_one_digest_per_channel(start_api):
    first, second = await Receiver().start(), await Receiver().start()
    port = closed_port()
    monitors = "\n".join(f"""
              - {{key: m{n:03d}, type: tcp, url: "tcp://127.0.0.1:{port}", interval: 2s,
                 confirmation: {{failures: 1}}}}""" for n in range(MONITORS))
    try:
        api = await start_api(f"""
            alert_channels:
              - {{key: one, type: webhook, digest_window: 6s, webhook: {{url: "{first.url('/one')}"}}}}
              - {{key: two, type: webhook, digest_window: 6s, webhook: {{url: "{second.url('/two')}"}}}}
            defaults: {{alert_channels: [one, two]}}
            monitors:{monitors}
            """)
        await eventually(lambda: len(first.got) >= BURST + 1 and len(second.got) >= BURST + 1, timeout=30)
        status, _, incidents = await api.request("GET", "/api/incidents?limit=1")
        for receiver in (first, second):
            alone = [receiver.json(n) for n in range(BURST)]
            assert all(body["reason"] == "opened" for body in alone)
            digest = receiver.json(BURST)
            assert digest["reason"] == "digest"
            assert digest["subject"] == f"[DIGEST] {MONITORS - BURST} alerts: {MONITORS - BURST} DOWN"
            named = [line for line in digest["text"].splitlines() if line.startswith("[DOWN] monitor m")]
            assert len(named) == MONITORS - BURST
            assert len(receiver.got) == BURST + 1  # not hundreds of messages
        await api.daemon.writer.flush()
        status, _, channels = await api.request("GET", "/api/alert-channels")
        for channel in channels["data"]:
            records = []
            cursor = ""
            while True:
                status, _, page = await api.request(
                    "GET", f"/api/alerts?channel_id={channel['id']}&limit=100{cursor}")
                assert status == 200, page
                records += page["data"]
                if not page["has_more"]:
                    break
                cursor = f"&starting_after={page['data'][-1]['id']}"
            assert len(records) == MONITORS
            suppressed = [a for a in records if a["status"] == "suppressed"]
            assert len(suppressed) == MONITORS - BURST
            assert len({a["digest_id"] for a in suppressed}) == 1
            assert suppressed[0]["digest_id"].startswith("dig_")
            assert all(a["attempts"] and a["attempts"][0]["ok"] for a in suppressed)  # the digest's attempt
            assert sorted(a["status"] for a in records if a["status"] != "suppressed") == ["sent"] * BURST
    finally:
        await first.close()
        await second.close()
