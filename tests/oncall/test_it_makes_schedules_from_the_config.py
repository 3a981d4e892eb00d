"""Schedules of the `on_call:` section in the running daemon: reconciled by key
(their layers stored with usr_ ids), read-only over the API (409 naming the
file) but taking overrides over the API; a reload replaces only the file's
overrides and drops a schedule no longer in the file. A schedule an escalation
policy targets cannot be deleted (409 naming the policy)."""

from __future__ import annotations

from upstatd.clock import FakeClock

from oncallkit import utc
from rowskit import add_policy, add_schedule
from handoffkit import start_api  # noqa: F401  (the fixture)
from schedulekit import with_people

NOW = utc("2026-03-30T12:00:00")
CONFIG = """\
on_call:
  - key: ops
    name: Ops
    layers:
      - {users: [usr_anna, usr_bob], timezone: Europe/Riga, starts_at: "2026-03-06T10:00", length: weekly}
    overrides:
      - {user: usr_anna, starts_at: "2026-03-31T18:00+03:00", ends_at: "2026-03-31T23:00+03:00"}
  - key: spare
    name: Spare
"""


async def test_config_schedules_are_read_only_but_take_overrides(start_api, tmp_path):
    api = await start_api(with_people(tmp_path, CONFIG), clock=FakeClock(wall=NOW))
    _, _, listed = await api.request("GET", "/api/on-call")
    by_key = {item["key"]: item for item in listed["data"]}
    ops = by_key["ops"]
    assert ops["managed_by"] == "config" and ops["layers"][0]["users"] == ["usr_anna", "usr_bob"]
    assert ops["current"]["user_id"] == "usr_bob"   # Bob's week from Friday 03-27
    assert [(item["user_id"], item["managed_by"]) for item in ops["overrides"]] == [("usr_anna", "config")]

    for method, body in (("PATCH", {"name": "Renamed"}), ("DELETE", None)):
        status, _, answer = await api.request(method, f"/api/on-call/{ops['id']}", json=body)
        assert status == 409 and answer["error"]["code"] == "managed_by_config", answer
        assert str(api.config_path) in answer["error"]["message"]
    status, _, answer = await api.request(
        "DELETE", f"/api/on-call/{ops['id']}/overrides/{ops['overrides'][0]['id']}")
    assert status == 409 and answer["error"]["code"] == "managed_by_config"

    status, _, covering = await api.request("POST", f"/api/on-call/{ops['id']}/overrides", json={
        "user_id": "usr_lead", "starts_at": int(NOW), "ends_at": int(NOW) + 3600})
    assert status == 201
    _, _, shown = await api.request("GET", f"/api/on-call/{ops['id']}")
    assert shown["current"]["user_id"] == "usr_lead"

    # the file's override moves to Wednesday and `spare` goes: the API's override stays
    api.config_path.write_text(api.config_path.read_text().replace("2026-03-31T", "2026-04-01T")
                               .replace("  - key: spare\n    name: Spare\n", ""))
    assert await api.daemon.reload()
    _, _, shown = await api.request("GET", f"/api/on-call/{ops['id']}")
    assert [(item["user_id"], item["managed_by"], item["starts_at"]) for item in shown["overrides"]] == [
        ("usr_lead", "api", int(NOW)), ("usr_anna", "config", utc("2026-04-01T15:00:00"))]
    assert shown["overrides"][0]["id"] == covering["id"]
    status, _, _ = await api.request("GET", f"/api/on-call/{by_key['spare']['id']}")
    assert status == 404
    _, _, events = await api.request("GET", "/api/events?type=on_call_schedule.*")
    assert [event["type"] for event in events["data"]][:2] == ["on_call_schedule.updated",
                                                              "on_call_schedule.deleted"]


async def test_a_schedule_a_policy_targets_is_not_deleted(start_api, tmp_path):
    seeded = with_people(tmp_path)
    path = str(tmp_path / "seeded.db")
    add_schedule(path, "sch_seeded", "Seeded", [{"users": ["usr_anna"], "starts_at": "2026-03-02T00:00",
                                                 "length": "daily"}])
    add_policy(path, "esc_paging", "Paging", [{"wait_seconds": 0, "targets": [{"type": "user", "id": "usr_bob"}]},
                                              {"wait_seconds": 600, "targets": [{"type": "schedule_members",
                                                                                 "id": "sch_seeded"}]}])
    api = await start_api(seeded, clock=FakeClock(wall=NOW))
    _, _, shown = await api.request("GET", "/api/on-call/sch_seeded")
    assert shown["current"]["user_id"] == "usr_anna"
    status, _, answer = await api.request("DELETE", "/api/on-call/sch_seeded")
    assert status == 409 and "esc_paging" in answer["error"]["message"], answer
    _, _, other = await api.request("POST", "/api/on-call", json={"name": "Other"})
    status, _, _ = await api.request("DELETE", f"/api/on-call/{other['id']}")
    assert status == 204
