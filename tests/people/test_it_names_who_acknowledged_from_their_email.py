"""End to end: a person's own email method sends through the shared `relay`
channel's SMTP server (aiosmtpd on loopback) to the person's address only; the
outage mail's acknowledge link carries the person (signed), and following it
acknowledges the incident as that person, not as "alert link"."""

from __future__ import annotations

import re

import aiohttp
from loopback import eventually
from peoplekit import relay

from upstatd.alerts import links

PUBLIC = "https://status.example.com/upstat"


async def test_the_acknowledge_link_of_a_personal_email_names_the_person(start_api, smtp):
    api = await start_api(relay(smtp), server=f'public_url: "{PUBLIC}"')
    status, _, person = await api.request("POST", "/api/people", json={
        "name": "Anna Berzina", "contact_methods": [{"email": "anna@example.com"}]})  # via: the one email channel
    assert status == 201, person
    [channel_id] = person["alert_channel_ids"]
    status, _, beat = await api.request("POST", "/api/heartbeats", json={
        "name": "nightly backup", "period_seconds": 3600, "alert_channels": [channel_id]})
    assert status == 201, beat
    async with aiohttp.ClientSession() as session:
        async with session.get(beat["ping_url"].replace(PUBLIC, api.url) + "/fail") as answer:
            assert answer.status == 200
    await eventually(lambda: len(smtp.mails) >= 1, timeout=15)
    mail = smtp.mails[0]
    assert (mail.sender, mail.recipients) == ("upstatd@example.com", ["anna@example.com"])
    acknowledge = re.search(r"Acknowledge: (\S+)", mail.part("plain")).group(1)
    link = links.read(api.daemon.api.link_key, acknowledge.rsplit("/", 1)[1], api.clock.time())
    assert (link.action, link.person_id) == ("acknowledge", person["id"])

    async with aiohttp.ClientSession() as browser:
        async with browser.post(acknowledge.replace(PUBLIC, api.url)) as answer:
            assert answer.status == 200 and "Incident acknowledged" in await answer.text()
    status, _, incident = await api.request("GET", f"/api/incidents/{link.incident_id}")
    assert (incident["status"], incident["acknowledged_by"]) == ("acknowledged", "Anna Berzina")
