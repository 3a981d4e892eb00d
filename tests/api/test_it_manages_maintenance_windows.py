"""/api/maintenance over real HTTP to the in-process daemon, on a FakeClock:
one-off and recurring windows are created (maintenance.scheduled), listed,
retrieved with their status and next occurrences, changed (a schedule given
replaces the stored one) and deleted; targets given by key or id read back as
ids. Bad values are 422 naming the API's param, unknown fields 400; windows of
the config file are read-only (409)."""

from __future__ import annotations

from datetime import datetime, timezone as tz

from upstatd.clock import FakeClock

NOW = datetime(2026, 3, 28, 12, 0, tzinfo=tz.utc).timestamp()
CONFIG = """\
monitors:
  - {key: web, type: http, url: "http://127.0.0.1:9/"}
heartbeats:
  - {key: backup, period: 1d}
maintenance:
  - key: patching
    title: Sunday patching
    rrule: FREQ=WEEKLY;BYDAY=SU;BYHOUR=3
    duration: 2h
    timezone: Europe/Riga
    monitor_ids: [web]
"""


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text + "+00:00").timestamp())


async def test_it_creates_lists_changes_and_deletes_windows(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    status, _, listed = await api.request("GET", "/api/maintenance")
    assert status == 200 and [item["key"] for item in listed["data"]] == ["patching"]
    patching = listed["data"][0]
    _, _, web = await api.request("GET", "/api/monitors")
    web_id = web["data"][0]["id"]
    assert patching["monitor_ids"] == [web_id] and patching["managed_by"] == "config"
    assert patching["status"] == "scheduled"
    # Sunday 03:00 Riga is 01:00Z that night (clocks spring forward at 03:00: 04:00 EEST, the same instant)
    assert patching["upcoming"][:2] == [{"starts_at": utc("2026-03-29T01:00:00"), "ends_at": utc("2026-03-29T03:00:00")},
                                        {"starts_at": utc("2026-04-05T00:00:00"), "ends_at": utc("2026-04-05T02:00:00")}]

    status, _, made = await api.request("POST", "/api/maintenance", json={
        "title": "Database upgrade", "starts_at": int(NOW) + 3600, "ends_at": int(NOW) + 7200,
        "monitor_ids": ["web"], "heartbeat_ids": ["backup"], "metadata": {"ticket": "OPS-1"}})
    assert status == 201, made
    assert made["id"].startswith("mnt_") and made["object"] == "maintenance_window"
    assert made["monitor_ids"] == [web_id] and made["heartbeat_ids"][0].startswith("hbt_")
    assert (made["rrule"], made["cron"], made["oncalendar"], made["duration_seconds"]) == (None, None, None, None)
    assert made["status"] == "scheduled" and made["upcoming"] == [
        {"starts_at": int(NOW) + 3600, "ends_at": int(NOW) + 7200}]
    _, _, events = await api.request("GET", "/api/events?type=maintenance.scheduled")
    assert [event["data"]["object"]["id"] for event in events["data"]] == [made["id"], patching["id"]]

    status, _, changed = await api.request("PATCH", f"/api/maintenance/{made['id']}", json={
        "cron": "30 2 * * *", "duration_seconds": 1800, "timezone": "America/New_York", "description": "nightly"})
    assert status == 200, changed
    assert (changed["starts_at"], changed["ends_at"], changed["cron"]) == (None, None, "30 2 * * *")
    assert changed["upcoming"][0] == {"starts_at": utc("2026-03-29T06:30:00"), "ends_at": utc("2026-03-29T07:00:00")}
    assert changed["metadata"] == {"ticket": "OPS-1"} and changed["description"] == "nightly"
    status, _, same = await api.request("PUT", f"/api/maintenance/{made['id']}", json={"cron": "30 2 * * *"})
    assert status == 200 and same["updated_at"] == changed["updated_at"]

    status, _, one = await api.request("GET", f"/api/maintenance/{made['id']}")
    assert status == 200 and one == changed
    status, _, _ = await api.request("DELETE", f"/api/maintenance/{made['id']}")
    assert status == 204
    status, _, gone = await api.request("GET", f"/api/maintenance/{made['id']}")
    assert status == 404 and gone["error"]["param"] == "id"


async def test_it_names_the_param_of_a_mistake(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    for body, status, param in [
        ({"title": "x", "starts_at": 200, "ends_at": 100}, 422, "ends_at"),
        ({"title": "x", "starts_at": 200}, 422, "ends_at"),
        ({"title": "x", "rrule": "FREQ=DAILY"}, 422, "duration_seconds"),
        ({"title": "x", "rrule": "FREQ=SOMETIMES", "duration_seconds": 600}, 422, "rrule"),
        ({"title": "x", "cron": "0 3 * * *", "duration_seconds": 5}, 422, "duration_seconds"),
        ({"title": "x", "cron": "0 3 * * *", "duration_seconds": 600, "timezone": "Mars/Base"}, 422, "timezone"),
        ({"title": "x", "cron": "0 3 * * *", "duration_seconds": 600, "monitor_ids": ["web", "nope"]}, 422,
         "monitor_ids.1"),
        ({"title": "x", "cron": "0 3 * * *", "duration_seconds": 600, "heartbeat_ids": ["hbt_nothing"]}, 422,
         "heartbeat_ids.0"),
        ({"title": "x", "cron": "0 3 * * *", "duration_seconds": 600, "colour": "red"}, 400, "colour"),
        ({"title": 5, "cron": "0 3 * * *", "duration_seconds": 600}, 400, "title"),
    ]:
        got, _, answer = await api.request("POST", "/api/maintenance", json=body)
        assert (got, answer["error"]["param"]) == (status, param), (body, answer)
        assert answer["error"]["type"] == "invalid_request_error"

    _, _, listed = await api.request("GET", "/api/maintenance")
    config_id = listed["data"][0]["id"]
    for method, body in (("PATCH", {"title": "renamed"}), ("DELETE", None)):
        got, _, answer = await api.request(method, f"/api/maintenance/{config_id}", json=body)
        assert got == 409 and answer["error"]["code"] == "managed_by_config", answer
        assert "config.yaml" in answer["error"]["message"] and "'patching'" in answer["error"]["message"]
