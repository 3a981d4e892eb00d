"""/api/on-call over real HTTP to the in-process daemon on a real state file: a
schedule is created (on_call_schedule.created), listed, retrieved, changed (layers
replaced whole) and deleted; store/on_call.py's reader takes what was written.
Bad layers are 422 naming the API's param (the core's RotationError), unknown
people 422 naming `layers.0.users.1`, unknown fields 400."""

from __future__ import annotations

from upstatd.clock import FakeClock
from upstatd.store import db, on_call

from oncallkit import utc
from handoffkit import start_api  # noqa: F401  (the fixture)
from schedulekit import with_people

NOW = utc("2026-03-10T12:00:00")
WEEKLY = {"users": ["usr_anna", "usr_bob"], "timezone": "Europe/Riga", "starts_at": "2026-03-06T10:00",
          "length": "weekly"}


async def test_it_creates_lists_changes_and_deletes_schedules(start_api, tmp_path):
    api = await start_api(with_people(tmp_path), clock=FakeClock(wall=NOW))
    status, _, made = await api.request("POST", "/api/on-call", json={
        "name": "Ops", "layers": [WEEKLY], "metadata": {"team": "infra"}})
    assert status == 201, made
    assert made["id"].startswith("sch_") and made["object"] == "on_call_schedule"
    assert made["layers"] == [{**WEEKLY, "restrictions": []}] and made["managed_by"] == "api"
    assert made["current"]["user_id"] == "usr_anna" and made["current"]["name"] == "Anna"
    assert made["overrides"] == [] and made["metadata"] == {"team": "infra"}

    conn = db.connect(str(api.db_path))
    try:
        read = on_call.schedules(conn)[made["id"]]
    finally:
        conn.close()
    assert read.layers[0].users == ("usr_anna", "usr_bob") and read.layers[0].length == "weekly"

    status, _, listed = await api.request("GET", "/api/on-call")
    assert status == 200 and [item["id"] for item in listed["data"]] == [made["id"]]
    assert listed["data"][0]["current"]["user_id"] == "usr_anna"

    status, _, changed = await api.request("PATCH", f"/api/on-call/{made['id']}", json={
        "name": "Ops team", "layers": [{**WEEKLY, "users": ["usr_bob", "usr_anna"]}]})
    assert status == 200, changed
    assert changed["name"] == "Ops team" and changed["current"]["user_id"] == "usr_bob"
    status, _, same = await api.request("PUT", f"/api/on-call/{made['id']}", json={"name": "Ops team"})
    assert status == 200 and same["updated_at"] == changed["updated_at"]

    _, _, events = await api.request("GET", "/api/events?type=on_call_schedule.*")
    assert [event["type"] for event in events["data"]] == ["on_call_schedule.updated", "on_call_schedule.created"]

    status, _, _ = await api.request("DELETE", f"/api/on-call/{made['id']}")
    assert status == 204
    status, _, gone = await api.request("GET", f"/api/on-call/{made['id']}")
    assert status == 404 and gone["error"]["param"] == "id"
    _, _, events = await api.request("GET", "/api/events?type=on_call_schedule.deleted")
    assert [event["data"]["object"]["id"] for event in events["data"]] == [made["id"]]


async def test_it_refuses_bad_layers_naming_the_param(start_api, tmp_path):
    api = await start_api(with_people(tmp_path), clock=FakeClock(wall=NOW))
    restricted = {**WEEKLY, "restrictions": [{"days": ["mon"], "start": "09:00", "end": "17:00"},
                                             {"days": ["tue"], "start": "09:00", "end": "25:00"}]}
    cases = [
        ({"name": "x", "layers": [WEEKLY, {**WEEKLY, "length": "fortnightly"}]}, 422, "layers.1.length"),
        ({"name": "x", "layers": [{**WEEKLY, "timezone": "Mars/Olympus"}]}, 422, "layers.0.timezone"),
        ({"name": "x", "layers": [{**WEEKLY, "starts_at": "2026-03-06T10:00+02:00"}]}, 422, "layers.0.starts_at"),
        ({"name": "x", "layers": [restricted]}, 422, "layers.0.restrictions.1.end"),
        ({"name": "x", "layers": [{**WEEKLY, "users": ["usr_anna", "usr_nobody"]}]}, 422, "layers.0.users.1"),
        ({"name": "x", "layers": [{**WEEKLY, "color": "red"}]}, 400, "layers.0.color"),
        ({"layers": [WEEKLY]}, 400, "name"),
    ]
    for body, status, param in cases:
        got, _, answer = await api.request("POST", "/api/on-call", json=body)
        assert (got, answer["error"]["param"]) == (status, param), (body, answer)
    _, _, listed = await api.request("GET", "/api/on-call")
    assert listed["data"] == []
