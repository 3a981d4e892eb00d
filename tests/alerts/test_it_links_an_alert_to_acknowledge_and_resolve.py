"""End to end: with `server.public_url` set, the outage email (aiosmtpd on
loopback) carries an acknowledge and a resolve link under it, in the text and
the HTML part; the acknowledge link, followed on the daemon, acknowledges the
incident as "alert link" and stops its reminders; the acknowledgement's own alert carries only the
resolve link, and that one resolves it."""

from __future__ import annotations

import re

import aiohttp
from alertkit import email_channel, one_channel
from loopback import eventually

from upstatd.alerts import links

PUBLIC = "https://status.example.com/upstat"
LINK = re.compile(re.escape(PUBLIC) + r"/incident-links/[A-Za-z0-9_-]+")


async def test_the_links_of_an_alert_acknowledge_and_resolve_its_incident(start_api, smtp):
    channel = email_channel(smtp, "events: [incident.created, incident.acknowledged, incident.resolved], "
                                  "digest_window: 0s, reminder_interval: 30m")
    api = await start_api(one_channel(channel, key="ops-mail", more="""
        heartbeats:
          - key: backup
            name: nightly backup
            period: 1h
        """), server=f'public_url: "{PUBLIC}"')
    status, _, beats = await api.request("GET", "/api/heartbeats")
    assert status == 200, beats
    ping = beats["data"][0]["ping_url"].replace(PUBLIC, api.url)
    async with aiohttp.ClientSession() as session:
        async with session.get(ping + "/fail") as answer:
            assert answer.status == 200
    await eventually(lambda: len(smtp.mails) >= 1, timeout=15)
    down = smtp.mails[0]
    text, html = down.part("plain"), down.part("html")
    acknowledge = re.search(r"Acknowledge: (\S+)", text).group(1)
    resolve = re.search(r"Resolve: (\S+)", text).group(1)
    assert LINK.fullmatch(acknowledge) and LINK.fullmatch(resolve)
    assert f'<a href="{acknowledge}">Acknowledge</a>' in html and f'<a href="{resolve}">Resolve</a>' in html
    [incident_id] = [row["id"] for row in (await api.request("GET", "/api/incidents"))[2]["data"]]
    key, now = api.daemon.api.link_key, api.clock.time()
    token = acknowledge.rsplit("/", 1)[1]
    link = links.read(key, token, now)
    assert (link.incident_id, link.action) == (incident_id, "acknowledge")
    assert now - 60 < link.expires_at - links.TTL <= now  # a week from when the alert was made

    reminders = api.daemon.alerts.reminders
    assert reminders.when(incident_id) is not None  # due in 30 minutes
    async with aiohttp.ClientSession() as browser:
        local = acknowledge.replace(PUBLIC, api.url)
        async with browser.get(local) as answer:
            assert answer.status == 200 and "Acknowledge this incident?" in await answer.text()
        async with browser.post(local) as answer:
            assert answer.status == 200 and "Incident acknowledged" in await answer.text()
    status, _, incident = await api.request("GET", f"/api/incidents/{incident_id}")
    assert (incident["status"], incident["acknowledged_by"]) == ("acknowledged", "alert link")
    await eventually(lambda: reminders.when(incident_id) is None, timeout=5)  # no more reminders

    await eventually(lambda: len(smtp.mails) >= 2, timeout=15)
    acknowledged = smtp.mails[1]
    assert "ACKNOWLEDGED" in acknowledged.message["Subject"]
    assert "alert link" in acknowledged.part("plain")
    assert "Acknowledge:" not in acknowledged.part("plain")
    again = re.search(r"Resolve: (\S+)", acknowledged.part("plain")).group(1)
    async with aiohttp.ClientSession() as browser:
        async with browser.post(again.replace(PUBLIC, api.url)) as answer:
            assert answer.status == 200 and "Incident resolved" in await answer.text()
    status, _, incident = await api.request("GET", f"/api/incidents/{incident_id}")
    assert incident["status"] == "resolved"
