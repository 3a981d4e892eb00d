"""An agent that stops reporting is an alert for people: `agent.down` opens an incident
about the agent (type agent_down, severity major, no affected monitors), alerted through
defaults.alert_channels like any system incident (a webhook channel posting to a loopback
receiver), and the agent's next contact (`agent.up`) resolves it, with its own alert; an
agent taken out of the config while down has its incident resolved."""

from __future__ import annotations

import pytest

from loopback import eventually
from regionkit import TOKENS, alertkit, pull, push, start_regions
from upstatd.clock import FakeClock
from upstatd.events import StateChanged, Subject
from upstatd.incidents.policy import decide
from upstatd.store.agents import all_agents as agent_rows
from upstatd.store.incidents import Incident

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



AGENT = Subject("agent", "agt_1", "Agent eu-1 (region eu)", "major")


@pytest.mark.parametrize("current, to_state, kind, status, title", [
    (None, "down", "created", "open", "Agent eu-1 (region eu) is not reporting"),
    (None, "up", None, None, None),                                   # nothing open: nothing to resolve
    ("open", "up", "resolved", "resolved", "Agent eu-1 (region eu) is not reporting"),
    ("open", "down", None, None, None),                               # already open
    ("resolved", "down", "reopened", "open", "Agent eu-1 (region eu) is not reporting"),  # within the window
])
def test_the_policy_for_an_agent(current, to_state, kind, status, title):
    at = NOW + 60
    incident = None if current is None else Incident(
        "inc_1", current, "major", "agent_down", "system", "Agent eu-1 (region eu) is not reporting", None,
        "agt_1", round(NOW * 1000), round(NOW * 1000), round(NOW * 1000),
        resolved_at=round(NOW * 1000) if current == "resolved" else None)
    change = StateChanged(AGENT, "up" if to_state == "down" else "down", to_state, at, None,
                          "agent_down" if to_state == "down" else None, "no pull or push")
    decision = decide(incident, change, 300.0, lambda: "inc_new")
    if kind is None:
        assert decision is None
        return
    assert (decision.kind, decision.incident.status, decision.incident.title) == (kind, status, title)
    assert (decision.incident.type, decision.incident.severity, decision.incident.affected) == (
        "agent_down", "major", [])
    assert decision.incident.subject_id == "agt_1"


async def test_an_agent_removed_from_the_config_resolves_its_incident(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    await pull(api, "eu")
    api.clock.advance(3.1)
    (incident,) = await eventually(lambda: open_incidents(api))
    api.daemon.regions.load([row for row in await api.daemon.read_db.call(agent_rows)
                             if row.name != "eu-1"])  # as a reload without eu-1 does
    await api.daemon.writer.flush()
    _, _, after = await api.request("GET", f"/api/incidents/{incident['id']}")
    assert after["status"] == "resolved"


async def open_incidents(api) -> list:
    _, _, listed = await api.request("GET", "/api/incidents?status=open")
    return listed["data"]
