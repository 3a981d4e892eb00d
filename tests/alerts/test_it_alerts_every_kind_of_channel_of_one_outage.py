"""One outage reaches every channel it is routed to: Apprise `json://` and
`ntfy://` URLs and a Slack-shaped template webhook, each pointed at an HTTP
receiver on loopback that checks the payload; a monitor naming its own
channels overrides the defaults, `[]` names none."""

from __future__ import annotations

import json

from alertkit import Receiver
from loopback import closed_port, eventually

SLACK_BODY = '{"text": {{ subject|tojson }}, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": {{ text|tojson }}}}]}'


async def test_apprise_urls_and_a_slack_shaped_webhook_get_the_same_outage(start_api):
    receivers = [await Receiver().start() for _ in range(4)]
    json_rx, ntfy_rx, slack_rx, other_rx = receivers
    port = closed_port()
    try:
        api = await start_api(f"""
            alert_channels:
              - {{key: json, type: apprise, apprise: {{url: "json://127.0.0.1:{json_rx.port}/alerts"}}}}
              - {{key: ntfy, type: apprise, apprise: {{url: "ntfy://127.0.0.1:{ntfy_rx.port}/ops-topic"}}}}
              - key: slack
                type: webhook
                webhook:
                  url: "{slack_rx.url('/services/T000/B000/XXXX')}"
                  body: '{SLACK_BODY}'
              - {{key: other, type: webhook, webhook: {{url: "{other_rx.url('/other')}"}}}}
            defaults: {{alert_channels: [other]}}
            monitors:
              - key: api
                name: payments api
                type: tcp
                url: "tcp://127.0.0.1:{port}"
                interval: 1s
                confirmation: {{failures: 1}}
                alert_channels: [json, ntfy, slack]
              - key: quiet
                type: tcp
                url: "tcp://127.0.0.1:{port}"
                interval: 1s
                confirmation: {{failures: 1}}
                alert_channels: []
            """)
        await eventually(lambda: all(rx.got for rx in (json_rx, ntfy_rx, slack_rx)), timeout=15)

        body = json_rx.json(0)
        assert json_rx.got[0].path == "/alerts"
        assert body["title"].startswith("[DOWN] monitor payments api is down")
        assert f"127.0.0.1:{port}" in body["message"] and body["type"] == "failure"

        assert ntfy_rx.got[0].path.startswith("/ops-topic") or json.loads(ntfy_rx.got[0].body).get("topic") == \
            "ops-topic"
        ntfy_text = ntfy_rx.got[0].body.decode()
        assert "payments api" in ntfy_text

        slack = slack_rx.json(0)
        assert slack_rx.got[0].path == "/services/T000/B000/XXXX"
        assert slack["text"].startswith("[DOWN] monitor payments api is down")
        assert slack["blocks"][0]["text"]["text"].startswith("Monitor: payments api")

        # the defaults are for subjects that name no channels; `[]` is none at all
        await api.daemon.writer.flush()
        status, _, page = await api.request("GET", "/api/alerts")
        assert status == 200
        assert sorted(alert["channel_type"] for alert in page["data"]) == ["apprise", "apprise", "webhook"]
        assert other_rx.got == []

        status, _, monitors = await api.request("GET", "/api/monitors")
        shown = {m["key"]: m["alert_channels"] for m in monitors["data"]}
        assert [c["type"] for c in shown["api"]] == ["apprise", "apprise", "webhook"]
        assert all(c["id"].startswith("ch_") for c in shown["api"]) and shown["quiet"] == []
    finally:
        for rx in receivers:
            await rx.close()
