"""An agent that stops reporting is an alert for people: `agent.down` opens an incident
about the agent (type agent_down, severity major, no affected monitors), alerted through
defaults.alert_channels like any system incident (a webhook channel posting to a loopback
receiver), and the agent's next contact (`agent.up`) resolves it, with its own alert."""

from __future__ import annotations

from loopback import eventually
from regionkit import TOKENS, alertkit, pull, push, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
MONITORS = """
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu, us], interval: 10s}
"""


async def test_an_agent_down_opens_an_incident_alerted_and_its_return_resolves_it(start_api, receiver):
    channel = alertkit.webhook_channel(receiver.url("/hook"), "digest_window: 0s")
    api = await start_regions(start_api, alertkit.one_channel(channel, more=MONITORS), clock=FakeClock(wall=NOW))
    await pull(api, "eu")  # eu-1 is up from its first contact: no news, no incident
    api.clock.advance(1.0)
    await push(api, "eu", [])
    _, _, listed = await api.request("GET", "/api/incidents")
    assert listed["data"] == []

    api.clock.advance(3.1)  # three push intervals without a contact
    await eventually(lambda: len(receiver.got) >= 1, timeout=15)
    _, _, listed = await api.request("GET", "/api/incidents")
    (incident,) = listed["data"]
    agent_id = api.daemon.regions.authenticate(TOKENS["eu"]).id
    assert (incident["title"], incident["severity"], incident["type"], incident["source"], incident["status"]) == (
        "Agent eu-1 (region eu) is not reporting", "major", "agent_down", "system", "open")
    assert incident["affected_monitor_ids"] == [] and incident["regions"] is None
    assert "agent eu-1" in incident["error_message"]
    assert api.daemon.incidents.open_for(agent_id).id == incident["id"]  # the agent is its subject
    opened = receiver.json(0)
    assert opened["reason"] == "opened" and opened["incident"]["id"] == incident["id"]
    assert "Agent eu-1 (region eu) is not reporting" in opened["subject"]

    await push(api, "eu", [])  # back: agent.up resolves it
    await eventually(lambda: len(receiver.got) >= 2, timeout=15)
    resolved = receiver.json(1)
    assert resolved["reason"] == "resolved" and resolved["incident"]["id"] == incident["id"]
    _, _, after = await api.request("GET", f"/api/incidents/{incident['id']}")
    assert after["status"] == "resolved"
    _, _, timeline = await api.request("GET", f"/api/incidents/{incident['id']}/updates")
    assert "Agent eu-1 (region eu) is reporting again" in [entry["message"] for entry in timeline["data"]]

