"""Each step fired is an `incident.escalated` event: a webhook endpoint
subscribed to it gets the incident with the step (round, step, of how many),
its targets, the people {id, name} and the channel ids it reached."""

from __future__ import annotations

from escalatekit import NOW, config, first_probe, seed, tick
from loopback import closed_port, eventually
from upstatd.clock import FakeClock

SECRET = "0123456789abcdef0123"


async def test_a_webhook_gets_the_step_and_who_it_reached(start_api, tmp_path, smtp, receiver):
    path = str(tmp_path / "state.db")
    seed(path)
    hooks = f'webhooks:\n  - {{key: ops, url: "{receiver.url("/events")}", events: ["incident.escalated"], ' \
            f'secret: "{SECRET}"}}\n'
    api = await start_api(config(smtp, closed_port(), path, hooks), clock=FakeClock(wall=NOW))
    incident = await first_probe(api)
    await tick(api, 1)
    await eventually(lambda: len(receiver.got) == 1, timeout=10)
    event = receiver.json(0)
    assert event["type"] == "incident.escalated"
    data = event["data"]
    _, _, channels = await api.request("GET", "/api/alert-channels?limit=100")
    anna_mail = next(channel["id"] for channel in channels["data"] if channel.get("key") == "anna-mail")
    assert data["object"]["id"] == incident["id"]
    assert {key: data[key] for key in ("round", "step", "steps", "requested", "targets", "people", "channel_ids")} \
        == {"round": 1, "step": 1, "steps": 3, "requested": False,
            "targets": [{"type": "current_on_call", "id": "sch_ops"}],
            "people": [{"id": "usr_anna", "name": "Anna Berzina"}], "channel_ids": [anna_mail]}
    _, _, listed = await api.request("GET", "/api/events?limit=100")
    assert [item["type"] for item in listed["data"]].count("incident.escalated") == 1
