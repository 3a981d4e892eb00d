"""`current` of GET /api/on-call/{id} on a FakeClock moved across a handoff (the
worked example's Friday 10:00 Riga handoff), and overrides made and deleted over
the API changing it: who, from which layer or override, since when, until the
next handoff."""

from __future__ import annotations

from upstatd.clock import FakeClock

from oncallkit import utc
from handoffkit import start_api  # noqa: F401  (the fixture)
from schedulekit import with_people

WEEKLY = {"users": ["usr_anna", "usr_bob"], "timezone": "Europe/Riga", "starts_at": "2026-03-06T10:00",
          "length": "weekly"}
BEFORE = utc("2026-03-13T07:59:00")   # a minute before Friday 10:00 EET


async def test_it_moves_current_across_the_handoff(start_api, tmp_path):
    api = await start_api(with_people(tmp_path), clock=FakeClock(wall=BEFORE))
    _, _, made = await api.request("POST", "/api/on-call", json={"name": "Ops", "layers": [WEEKLY]})
    assert made["current"] == {"user_id": "usr_anna", "name": "Anna", "source": {"kind": "layer", "index": 0},
                               "since": utc("2026-03-06T08:00:00"), "until": utc("2026-03-13T08:00:00")}
    api.clock.advance(60)
    _, _, now = await api.request("GET", f"/api/on-call/{made['id']}")
    assert now["current"] == {"user_id": "usr_bob", "name": "Bob", "source": {"kind": "layer", "index": 0},
                              "since": utc("2026-03-13T08:00:00"), "until": utc("2026-03-20T08:00:00")}


async def test_overrides_made_and_deleted_over_the_api_change_current(start_api, tmp_path):
    api = await start_api(with_people(tmp_path), clock=FakeClock(wall=BEFORE))
    _, _, made = await api.request("POST", "/api/on-call", json={"name": "Ops", "layers": [WEEKLY]})
    start, end = int(BEFORE) + 30, int(BEFORE) + 3600
    status, _, override = await api.request("POST", f"/api/on-call/{made['id']}/overrides", json={
        "user_id": "usr_lead", "starts_at": start, "ends_at": end})
    assert status == 201, override
    assert override["id"].startswith("ovr_") and override["object"] == "on_call_override"
    assert (override["user_id"], override["name"], override["starts_at"], override["ends_at"]) == \
        ("usr_lead", "Lead", start, end)
    _, _, shown = await api.request("GET", f"/api/on-call/{made['id']}")
    assert [item["id"] for item in shown["overrides"]] == [override["id"]]
    # the override starts before the layer's handoff: the next change is to the lead
    assert shown["current"]["user_id"] == "usr_anna" and shown["current"]["until"] == start

    api.clock.advance(31)
    _, _, shown = await api.request("GET", f"/api/on-call/{made['id']}")
    assert shown["current"] == {"user_id": "usr_lead", "name": "Lead", "source": {"kind": "override", "index": 0},
                                "since": start, "until": end}
    _, _, listed = await api.request("GET", f"/api/on-call/{made['id']}/overrides")
    assert [item["id"] for item in listed["data"]] == [override["id"]]
    _, _, events = await api.request("GET", "/api/events?type=on_call_schedule.updated")
    assert [event["data"]["reason"] for event in events["data"]] == ["override.created"]

    status, _, _ = await api.request("DELETE", f"/api/on-call/{made['id']}/overrides/{override['id']}")
    assert status == 204
    _, _, shown = await api.request("GET", f"/api/on-call/{made['id']}")
    assert shown["current"]["user_id"] == "usr_anna" and shown["overrides"] == []  # 07:59:31, still her week
    status, _, gone = await api.request("DELETE", f"/api/on-call/{made['id']}/overrides/{override['id']}")
    assert status == 404 and gone["error"]["param"] == "override_id"

    # an ended override leaves the schedule's read (bounded: those not ended), not its list
    now = int(api.clock.time())
    _, _, brief = await api.request("POST", f"/api/on-call/{made['id']}/overrides", json={
        "user_id": "usr_lead", "starts_at": now - 60, "ends_at": now + 60})
    api.clock.advance(61)
    _, _, shown = await api.request("GET", f"/api/on-call/{made['id']}")
    assert shown["overrides"] == [] and shown["current"]["user_id"] == "usr_bob"
    _, _, listed = await api.request("GET", f"/api/on-call/{made['id']}/overrides")
    assert [item["id"] for item in listed["data"]] == [brief["id"]]


async def test_it_refuses_bad_overrides_naming_the_param(start_api, tmp_path):
    api = await start_api(with_people(tmp_path), clock=FakeClock(wall=BEFORE))
    _, _, made = await api.request("POST", "/api/on-call", json={"name": "Ops", "layers": [WEEKLY]})
    start = int(BEFORE)
    cases = [
        ({"user_id": "usr_nobody", "starts_at": start, "ends_at": start + 60}, 422, "user_id"),
        ({"user_id": "usr_lead", "starts_at": start, "ends_at": start}, 422, "ends_at"),
        ({"user_id": "usr_lead", "starts_at": start, "ends_at": start + 60, "note": "x"}, 400, "note"),
        ({"user_id": "usr_lead", "starts_at": "soon", "ends_at": start + 60}, 400, "starts_at"),
    ]
    for body, status, param in cases:
        got, _, answer = await api.request("POST", f"/api/on-call/{made['id']}/overrides", json=body)
        assert (got, answer["error"]["param"]) == (status, param), (body, answer)
    _, _, shown = await api.request("GET", f"/api/on-call/{made['id']}")
    assert shown["overrides"] == []
