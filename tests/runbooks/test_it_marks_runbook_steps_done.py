"""A responder marks a runbook's steps done on an incident: POST
/api/incidents/{id}/runbooks/{runbook_id}/steps/{step} records who (the token's
name, or the `author` given) and when; GET /api/incidents/{id} shows it on the
step, the timeline has a runbook_step entry saying it, the incident's
updated_at moves and incident.updated (reason runbook_step) goes out. A step
marked twice is a 409, a step out of range a 422 naming step, and a runbook the
incident does not show a 404 naming runbook_id."""

from __future__ import annotations

import runbookkit
from runbookkit import events_of, failing_monitor, incident_of, make_runbook, timeline
from upstatd.clock import FakeClock

start_api = runbookkit.start_api   # the fixture: the in-process daemon
NOW = 1_800_000_000


async def test_steps_marked_done_appear_in_the_timeline_with_who_did_them(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    monitor = await failing_monitor(api)
    runbook = await make_runbook(api, linked_to=[monitor["id"]])
    elsewhere = await make_runbook(api, title="Unrelated", steps=["Nothing"])
    incident = await incident_of(api, monitor["id"])
    responder = await api.make_token("incidents:read,incidents:update", name="ops-token")
    steps = f"/api/incidents/{incident['id']}/runbooks/{runbook['id']}/steps"

    api.clock.advance(120)
    status, _, shown = await api.request("POST", f"{steps}/2", token=responder)
    assert status == 200, shown
    (followed,) = shown["runbooks"]
    assert [step["done"] for step in followed["steps"]] == [None, {"by": "ops-token", "at": NOW + 120}, None]
    assert shown["updated_at"] == NOW + 120 > incident["updated_at"]
    status, _, again = await api.request("POST", f"{steps}/1", json={"author": "Anna"})
    assert status == 200 and again["runbooks"][0]["steps"][0]["done"]["by"] == "Anna"

    entries = [(entry["kind"], entry["author"], entry["message"]) for entry in await timeline(api, incident["id"])]
    assert entries[-2:] == [
        ("runbook_step", "ops-token", "Step 2 of \u201cPostgres is down\u201d done: Fail over to db2 \u2014 by ops-token"),
        ("runbook_step", "Anna", "Step 1 of \u201cPostgres is down\u201d done: Check the disk on db1 \u2014 by Anna")]
    status, _, read = await api.request("GET", f"/api/incidents/{incident['id']}")
    assert status == 200 and read["runbooks"] == again["runbooks"]

    updated = [data for kind, data in await events_of(api, "incident.updated")]
    assert [(data.get("reason"), data["object"]["id"]) for data in updated] == [
        ("runbook_step", incident["id"]), ("runbook_step", incident["id"])]

    status, _, twice = await api.request("POST", f"{steps}/2", token=responder)
    assert status == 409 and twice["error"]["code"] == "step_already_done", twice
    assert "ops-token" in twice["error"]["message"]
    for step in ("4", "0"):
        status, _, out = await api.request("POST", f"{steps}/{step}", token=responder)
        assert status == 422 and out["error"]["param"] == "step", out
    status, _, word = await api.request("POST", f"{steps}/two", token=responder)
    assert status == 400 and word["error"]["param"] == "step", word
    status, _, other = await api.request(
        "POST", f"/api/incidents/{incident['id']}/runbooks/{elsewhere['id']}/steps/1", token=responder)
    assert status == 404 and other["error"]["param"] == "runbook_id", other
    status, _, nothing = await api.request("POST", f"/api/incidents/inc_nothing/runbooks/{runbook['id']}/steps/1")
    assert status == 404, nothing
    assert len(await timeline(api, incident["id"])) == len(entries)  # the refusals wrote nothing
