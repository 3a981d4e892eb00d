"""POST /api/incidents/{id}/escalate fires the next step at once (and the step
after keeps its wait from then); with every step fired, an acknowledged
incident, or no policy at all it answers 409 nothing_to_escalate; an unknown
incident is a 404. It answers the incident; the timeline names who asked."""

from __future__ import annotations

from escalatekit import NOW, config, first_probe, paged, paging, seed, settle, tick, timeline
from loopback import closed_port, eventually
from upstatd.clock import FakeClock


async def test_it_jumps_a_step_and_409s_when_nothing_is_left(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    api, incident = await paging(start_api, path, smtp)
    escalate = f"/api/incidents/{incident['id']}/escalate"
    await tick(api, 5)

    status, _, answer = await api.request("POST", escalate, json={"author": "Carol"})
    assert (status, answer["id"], answer["status"]) == (200, incident["id"], "open"), answer
    await eventually(lambda: paged(smtp) == ["anna", "bob"], timeout=10)  # 10 minutes early
    await tick(api, 600)
    await settle()
    assert paged(smtp) == ["anna", "bob"]  # step 3 waits 20 minutes from step 2
    status, _, _ = await api.request("POST", escalate, json={})
    assert status == 200
    await eventually(lambda: paged(smtp) == ["anna", "bob", "boss"], timeout=10)

    status, _, answer = await api.request("POST", escalate, json={})
    assert (status, answer["error"]["code"]) == (409, "nothing_to_escalate"), answer
    assert "every step" in answer["error"]["message"]
    entries = await timeline(api, incident["id"])
    assert entries[1] == "Escalated (step 2 of 3, round 1, escalated now on request): paged Bob"
    _, _, updates = await api.request("GET", f"/api/incidents/{incident['id']}/updates?limit=100")
    authors = [entry["author"] for entry in reversed(updates["data"]) if entry["kind"] == "escalated"]
    assert authors[:2] == ["system", "Carol"] and authors[2] not in ("system", "Carol")  # the token's name
    status, _, answer = await api.request("POST", "/api/incidents/inc_nope/escalate", json={})
    assert status == 404, answer


async def test_an_acknowledged_incident_has_nothing_to_escalate(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    seed(path)
    api = await start_api(config(smtp, closed_port(), path), clock=FakeClock(wall=NOW))
    incident = await first_probe(api)
    await api.request("POST", f"/api/incidents/{incident['id']}/acknowledge", json={})
    status, _, answer = await api.request("POST", f"/api/incidents/{incident['id']}/escalate", json={})
    assert (status, answer["error"]["code"]) == (409, "nothing_to_escalate"), answer
    assert "acknowledged" in answer["error"]["message"]


async def test_without_a_policy_there_is_nothing_to_escalate(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    seed(path, default=False)  # a policy, but nobody's: monitors name none and it is not the default
    api = await start_api(config(smtp, closed_port(), path), clock=FakeClock(wall=NOW))
    incident = await first_probe(api, escalating=False)
    await tick(api, 1)
    status, _, answer = await api.request("POST", f"/api/incidents/{incident['id']}/escalate", json={})
    assert (status, answer["error"]["code"]) == (409, "nothing_to_escalate"), answer
    assert "no escalation policy" in answer["error"]["message"]
    await settle()
    assert paged(smtp) == []
