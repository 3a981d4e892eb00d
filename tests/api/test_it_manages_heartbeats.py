"""/api/heartbeats over real HTTP against the in-process daemon: create, read,
update (PATCH and PUT, partial), delete with exact JSON; every validation
error names its param (the config file's own parse_heartbeat behind it);
config heartbeats are read-only except pause/resume; slugs and tokens in use
are refused; list filters and cursors; permissions; and every change reaches
the running heartbeat at once: its ping URLs, its slug URL, its deadlines."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from upstatd.clock import FakeClock

NOW = 1_800_000_000  # the FakeClock's wall time: Friday 2027-01-15 08:00:00 UTC
TOKEN = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
OTHER_TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"
CONFIG = f"""
    heartbeats:
      - {{key: nightly, name: Nightly backup, cron: "0 3 * * *", timezone: Europe/Riga, token: {TOKEN},
          tags: [db], metadata: {{team: ops}}}}
    """


def error(body: dict) -> tuple[str, str, str | None, str]:
    e = body["error"]
    return e["type"], e["code"], e["param"], e["message"]


async def ping(api, url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, str]:
    """A ping URL called like a cron job calls it (no token)."""
    async with api.session.request(method, url, data=data) as response:
        return response.status, await response.text()


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_it_creates_reads_updates_and_deletes_a_heartbeat(api):
    status, headers, made = await api.request("POST", "/api/heartbeats", json={
        "name": "DB backup", "slug": "db-backup", "cron": "30 2 * * *", "timezone": "Europe/Riga",
        "grace_seconds": 900, "token": TOKEN.upper(), "methods": "post", "manual_resume": True,
        "severity": "major", "tags": ["db", "eu"], "metadata": {"team": "ops", "env": "prod", "gone": ""}})
    assert status == 201, made
    assert headers["Request-Id"].startswith("req_")
    heartbeat_id = made["id"]
    assert heartbeat_id.startswith("hbt_") and len(heartbeat_id) == 26
    ping_key = api.daemon.heartbeats.ping_key
    assert ping_key
    expected = {
        "id": heartbeat_id, "object": "heartbeat", "key": None, "name": "DB backup", "slug": "db-backup",
        "period_seconds": None, "cron": "30 2 * * *", "oncalendar": None, "timezone": "Europe/Riga",
        "grace_seconds": 900, "methods": "post", "manual_resume": True, "body_keywords": None, "severity": "major",
        "tags": ["db", "eu"], "alert_channels": None, "reminder_interval_seconds": None,
        "metadata": {"team": "ops", "env": "prod"}, "group_id": None, "escalation_policy": None, "service_id": None, "status": "active", "current_state": "new", "since": NOW, "stats": None, "started": False,
        "ping_url": f"{api.url}/ping/{TOKEN}",  # kept lowercase
        "slug_url": f"{api.url}/ping/{ping_key}/db-backup", "last_ping_at": None, "next_expected_at": None,
        "last_duration_seconds": None, "managed_by": "api", "paused_at": None,
        "created_at": NOW, "updated_at": NOW,
    }
    assert made == expected
    assert list(made) == list(expected)  # field order as documented
    running = api.daemon.heartbeats.beats[heartbeat_id]  # running at once
    assert api.daemon.heartbeats.by_token[TOKEN] is running
    assert (running.spec.schedule.expression, running.spec.grace) == ("30 2 * * *", 900)

    status, _, fetched = await api.request("GET", f"/api/heartbeats/{heartbeat_id}")
    assert (status, fetched) == (200, expected)

    api.clock.advance(10)
    status, _, patched = await api.request("PATCH", f"/api/heartbeats/{heartbeat_id}", json={
        "period_seconds": 3600.5, "name": "DB backup (EU)", "metadata": {"team": "", "owner": "ana"},
        "methods": "any"})
    assert status == 200, patched
    expected |= {"period_seconds": 3600.5, "cron": None, "name": "DB backup (EU)", "methods": "any",
                 "metadata": {"env": "prod", "owner": "ana"}, "updated_at": NOW + 10}
    assert patched == expected
    running = api.daemon.heartbeats.beats[heartbeat_id]
    assert (running.spec.schedule.kind, running.spec.schedule.period, running.spec.methods) == (
        "period", 3600.5, "any")

    # PUT is a partial update too.
    status, _, put = await api.request("PUT", f"/api/heartbeats/{heartbeat_id}", json={
        "tags": [], "oncalendar": "Mon..Fri 09:00", "period_seconds": None, "timezone": "America/New_York"})
    assert status == 200, put
    expected |= {"tags": [], "period_seconds": None, "oncalendar": "Mon..Fri 09:00",
                 "timezone": "America/New_York"}
    assert put == expected
    assert api.daemon.heartbeats.beats[heartbeat_id].spec.schedule.kind == "oncalendar"

    status, _, deleted = await api.request("DELETE", f"/api/heartbeats/{heartbeat_id}")
    assert (status, deleted) == (204, None)
    assert heartbeat_id not in api.daemon.heartbeats.beats
    status, _, missing = await api.request("GET", f"/api/heartbeats/{heartbeat_id}")
    assert status == 404
    assert error(missing)[:3] == ("invalid_request_error", "resource_missing", "id")
    status, _, again = await api.request("DELETE", f"/api/heartbeats/{heartbeat_id}")
    assert (status, error(again)[2]) == (404, "id")


async def test_it_fills_in_defaults(api):
    status, _, made = await api.request("POST", "/api/heartbeats", json={"period_seconds": 600})
    assert status == 201, made
    token = made["ping_url"].rsplit("/", 1)[1]
    assert str(uuid.UUID(token)) == token  # generated, a lowercase UUID
    assert {key: made[key] for key in ("name", "slug", "period_seconds", "cron", "oncalendar", "timezone",
                                       "grace_seconds", "methods", "manual_resume", "severity", "tags",
                                       "metadata")} == {
        "name": "heartbeat", "slug": "heartbeat", "period_seconds": 600, "cron": None, "oncalendar": None,
        "timezone": "UTC", "grace_seconds": 3600, "methods": "any", "manual_resume": False,
        "severity": "critical", "tags": [], "metadata": {}}

    # The slug comes from the name; OnCalendar lines are kept one a line.
    status, _, made = await api.request("POST", "/api/heartbeats", json={
        "name": "Nightly DB backup!", "oncalendar": "Mon..Fri 09:00\n  Sat 10:00  "})
    assert status == 201, made
    assert (made["slug"], made["oncalendar"], made["period_seconds"]) == (
        "nightly-db-backup", "Mon..Fri 09:00\nSat 10:00", None)
    assert made["slug_url"].endswith("/nightly-db-backup")


INVALID = [
    # (body, param, words in the message)
    ({}, "period_seconds", "needs exactly one of period_seconds"),
    ({"period_seconds": 60, "cron": "0 3 * * *"}, "period_seconds", "got period_seconds and cron"),
    ({"cron": "0 3 * * *", "oncalendar": "daily"}, "cron", "got cron and oncalendar"),
    ({"period_seconds": 0.5}, "period_seconds", "must be >= 1s"),
    ({"period_seconds": 400 * 86400}, "period_seconds", "must be <="),
    ({"period_seconds": "1h"}, "period_seconds", "must be a number of seconds or null, got a string"),
    ({"cron": "0 3 * *"}, "cron", "not a 5-field cron expression"),
    ({"cron": "0 25 * * *"}, "cron", "not a valid cron expression"),
    ({"cron": ""}, "cron", "must be a cron expression"),
    ({"oncalendar": "Mon..Fri 25:00"}, "oncalendar", "not a valid OnCalendar expression"),
    ({"cron": "0 3 * * *", "timezone": "Mars/Olympus_Mons"}, "timezone", "unknown time zone 'Mars/Olympus_Mons'"),
    ({"period_seconds": 60, "timezone": "Nowhere"}, "timezone", "unknown time zone"),
    ({"period_seconds": 60, "grace_seconds": -1}, "grace_seconds", "must be >= 0s"),
    ({"period_seconds": 60, "token": "not-a-uuid"}, "token", "must be a UUID"),
    ({"period_seconds": 60, "token": TOKEN.replace("-", "")}, "token", "must be a UUID"),
    ({"period_seconds": 60, "slug": "a b"}, "slug", "'a b' is not valid"),
    ({"period_seconds": 60, "slug": "-x"}, "slug", "is not valid"),
    ({"period_seconds": 60, "name": ""}, "name", "must not be empty"),
    ({"period_seconds": 60, "name": "n" * 201}, "name", "at most 200 characters"),
    ({"period_seconds": 60, "methods": "get"}, "methods", "must be one of any, post, got 'get'"),
    ({"period_seconds": 60, "manual_resume": "yes"}, "manual_resume", "must be true or false, got a string"),
    ({"period_seconds": 60, "severity": "huge"}, "severity",
     "must be one of critical, major, minor, warning, got 'huge'"),
    ({"period_seconds": 60, "tags": ["ok", ""]}, "tags.1", "must not be empty"),
    ({"period_seconds": 60, "metadata": {"x": 5}}, "metadata.x", "strings"),
    ({"period_seconds": 60, "metadata": {"k" * 41: "v"}}, "metadata." + "k" * 41, "40"),
    ({"period_seconds": 60, "metadata": "team=ops"}, "metadata", "object"),
    ({"period_seconds": 60, "key": "nightly"}, "key", "key is not a known parameter"),
    ({"period_seconds": 60, "status": "paused"}, "status", "status is not a known parameter"),
    ({"period": 60}, "period", "period is not a known parameter"),
    ({"period_seconds": 60, "grace": 60}, "grace", "grace is not a known parameter"),
]


def malformed(words: str) -> bool:
    """400 for a wrong type or an unknown parameter; 422 for a value that fails validation."""
    return words in ("strings", "object") or words.endswith(("is not a known parameter", "got a string"))


async def test_it_names_the_param_of_a_bad_heartbeat(api):
    for body, param, words in INVALID:
        status, _, answer = await api.request("POST", "/api/heartbeats", json=body)
        assert status == (400 if malformed(words) else 422), (body, answer)
        kind, code, got_param, message = error(answer)
        assert (kind, code, got_param) == ("invalid_request_error", "parameter_invalid", param), (body, message)
        assert words in message, (body, message)
    _, _, listed = await api.request("GET", "/api/heartbeats")
    assert listed["data"] == []  # nothing half-made
    assert api.daemon.heartbeats.beats == {}


async def test_it_validates_an_update_against_the_whole_heartbeat(api):
    _, _, made = await api.request("POST", "/api/heartbeats", json={"name": "job", "period_seconds": 60})
    path = f"/api/heartbeats/{made['id']}"
    for body, param, words in (
            ({"period_seconds": None}, "period_seconds", "got none"),     # no schedule left
            ({"cron": "0 3 * * *", "period_seconds": 60}, "period_seconds", "got period_seconds and cron"),
            ({"timezone": "Mars/Olympus_Mons"}, "timezone", "unknown time zone"),
            ({"grace_seconds": -5}, "grace_seconds", ">= 0s"),
            ({"slug": "no spaces"}, "slug", "is not valid"),
            ({"metadata": {"a": None}}, "metadata.a", "strings"),
            ({"key": "x"}, "key", "is not a known parameter")):
        status, _, answer = await api.request("PATCH", path, json=body)
        assert (status, error(answer)[2]) == (400 if malformed(words) else 422, param), (body, answer)
        assert words in error(answer)[3], (body, answer)
    _, _, unchanged = await api.request("GET", path)
    assert unchanged == made
    assert api.daemon.heartbeats.beats[made["id"]].spec.schedule.period == 60

    # A null for a schedule it does not have changes nothing; a new schedule replaces the old one.
    status, _, answer = await api.request("PATCH", path, json={"cron": None, "oncalendar": None})
    assert (status, answer["period_seconds"], answer["cron"]) == (200, 60, None), answer
    status, _, answer = await api.request("PATCH", path, json={"cron": "*/5 * * * *"})
    assert (status, answer["period_seconds"], answer["cron"]) == (200, None, "*/5 * * * *"), answer
    status, _, answer = await api.request("PATCH", path, json={"cron": None, "period_seconds": 120})
    assert (status, answer["period_seconds"], answer["cron"]) == (200, 120, None), answer
    # A time zone goes with any schedule, and stays when the schedule changes.
    status, _, answer = await api.request("PATCH", path, json={"timezone": "Asia/Tokyo"})
    assert (status, answer["timezone"]) == (200, "Asia/Tokyo")
    status, _, answer = await api.request("PATCH", path, json={"oncalendar": "daily"})
    assert (status, answer["timezone"], answer["oncalendar"], answer["period_seconds"]) == (
        200, "Asia/Tokyo", "daily", None), answer
    status, _, answer = await api.request("PATCH", "/api/heartbeats/hbt_nothing", json={"name": "x"})
    assert (status, error(answer)[2]) == (404, "id")


async def test_it_keeps_config_heartbeats_read_only_except_pause_and_resume(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    _, _, listed = await api.request("GET", "/api/heartbeats")
    (nightly,) = listed["data"]
    assert {key: nightly[key] for key in ("key", "name", "slug", "cron", "timezone", "managed_by", "status",
                                          "tags", "metadata", "ping_url")} == {
        "key": "nightly", "name": "Nightly backup", "slug": "nightly", "cron": "0 3 * * *",
        "timezone": "Europe/Riga", "managed_by": "config", "status": "active", "tags": ["db"],
        "metadata": {"team": "ops"}, "ping_url": f"{api.url}/ping/{TOKEN}"}
    path = f"/api/heartbeats/{nightly['id']}"
    for method, body in (("PATCH", {"name": "Other"}), ("PUT", {"period_seconds": 60}), ("DELETE", None),
                         ("PATCH", {})):
        status, _, answer = await api.request(method, path, json=body)
        assert status == 409, (method, answer)
        kind, code, _, message = error(answer)
        assert (kind, code) == ("invalid_request_error", "managed_by_config")
        assert str(api.config_path) in message and "'nightly'" in message
    _, _, fetched = await api.request("GET", path)
    assert fetched == {**nightly, "stats": None}  # the list's item has its stats
    assert "nightly" in api.daemon.heartbeats.beats  # still running, its ping URL still answers
    assert await ping(api, nightly["ping_url"]) == (200, "OK")

    status, _, paused = await api.request("POST", f"{path}/pause")
    assert (status, paused["status"], paused["paused_at"]) == (200, "paused", NOW)
    status, _, resumed = await api.request("POST", f"{path}/resume")
    assert (status, resumed["status"], resumed["paused_at"], resumed["current_state"]) == (
        200, "active", None, "new")


async def test_it_refuses_a_slug_or_a_token_already_in_use(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    _, _, listed = await api.request("GET", "/api/heartbeats")
    nightly_id = listed["data"][0]["id"]

    status, _, answer = await api.request("POST", "/api/heartbeats", json={"slug": "nightly", "period_seconds": 60})
    assert status == 409, answer
    kind, code, param, message = error(answer)
    assert (kind, code, param) == ("invalid_request_error", "slug_in_use", "slug")
    assert "'nightly'" in message and nightly_id in message
    status, _, answer = await api.request("POST", "/api/heartbeats", json={
        "slug": "weekly", "period_seconds": 60, "token": TOKEN.upper()})  # the same UUID in capitals
    assert (status, error(answer)[:3]) == (409, ("invalid_request_error", "token_in_use", "token")), answer
    assert TOKEN in error(answer)[3]
    assert len(api.daemon.heartbeats.beats) == 1

    _, _, weekly = await api.request("POST", "/api/heartbeats", json={
        "slug": "weekly", "period_seconds": 604800, "token": OTHER_TOKEN})
    path = f"/api/heartbeats/{weekly['id']}"
    status, _, answer = await api.request("PATCH", path, json={"slug": "nightly"})
    assert (status, error(answer)[1:3]) == (409, ("slug_in_use", "slug")), answer
    status, _, answer = await api.request("PATCH", path, json={"token": TOKEN, "name": "renamed"})
    assert (status, error(answer)[1:3]) == (409, ("token_in_use", "token")), answer
    _, _, fetched = await api.request("GET", path)
    assert fetched == weekly  # nothing of a refused update is kept
    assert api.daemon.heartbeats.by_token[OTHER_TOKEN].id == weekly["id"]
    assert api.daemon.heartbeats.by_token[TOKEN].spec.key == "nightly"
    assert await ping(api, f"{api.url}/ping/{TOKEN}") == (200, "OK")
    assert [beat.id for beat in api.daemon.heartbeats.find_slug("nightly")] == [nightly_id]

    # Its own slug and token are no conflict; a freed slug can be taken.
    status, _, answer = await api.request("PATCH", path, json={"slug": "weekly", "token": OTHER_TOKEN.upper()})
    assert status == 200, answer
    status, _, answer = await api.request("PATCH", path, json={"slug": "weekly-2"})
    assert status == 200, answer
    status, _, answer = await api.request("POST", "/api/heartbeats", json={"slug": "weekly", "period_seconds": 60})
    assert status == 201, answer


async def test_it_applies_a_change_to_the_running_heartbeat_at_once(api):
    _, _, made = await api.request("POST", "/api/heartbeats", json={
        "slug": "job", "period_seconds": 3600, "grace_seconds": 600})
    path = f"/api/heartbeats/{made['id']}"
    assert await ping(api, made["ping_url"]) == (200, "OK")
    _, _, fetched = await api.request("GET", path)
    assert (fetched["current_state"], fetched["last_ping_at"], fetched["next_expected_at"]) == (
        "up", NOW, NOW + 3600)

    # A shorter period: the next slot counts from the last ping with the new period.
    status, _, patched = await api.request("PATCH", path, json={"period_seconds": 300})
    assert (status, patched["current_state"], patched["next_expected_at"]) == (200, "up", NOW + 300)
    api.clock.advance(100)
    assert await ping(api, made["ping_url"]) == (200, "OK")
    _, _, fetched = await api.request("GET", path)
    assert (fetched["last_ping_at"], fetched["next_expected_at"]) == (NOW + 100, NOW + 100 + 300)

    # A period that has already run out: the answer says late, from the slot's own time.
    api.clock.advance(200)
    status, _, patched = await api.request("PATCH", path, json={"period_seconds": 60})
    assert (status, patched["current_state"], patched["next_expected_at"]) == (200, "late", NOW + 160), patched
    _, _, fetched = await api.request("GET", f"{path}/status")
    assert (fetched["current_state"], fetched["since"], fetched["down_at"]) == ("late", NOW + 160, NOW + 760)
    assert api.daemon.heartbeats.beats[made["id"]].state.state == "late"

    # A new token: the old ping URL is gone at once, the new one works.
    status, _, patched = await api.request("PATCH", path, json={"token": OTHER_TOKEN})
    assert status == 200, patched
    assert patched["ping_url"] == f"{api.url}/ping/{OTHER_TOKEN}"
    assert (await ping(api, made["ping_url"]))[0] == 404
    assert await ping(api, patched["ping_url"]) == (200, "OK")
    _, _, fetched = await api.request("GET", path)
    assert (fetched["current_state"], fetched["next_expected_at"]) == ("up", NOW + 300 + 60)

    # A new slug: the old slug URL is gone, the new one works.
    status, _, patched = await api.request("PATCH", path, json={"slug": "job-2"})
    assert status == 200 and patched["slug_url"] == made["slug_url"].replace("/job", "/job-2")
    assert (await ping(api, made["slug_url"]))[0] == 404
    assert await ping(api, patched["slug_url"] + "/log") == (200, "OK")

    # POST only: a GET ping is recorded and ignored.
    await api.request("PATCH", path, json={"methods": "post"})
    api.clock.advance(30)
    assert await ping(api, patched["ping_url"]) == (200, "OK")
    _, _, pings = await api.request("GET", f"{path}/pings?limit=1")
    assert [(item["kind"], item["method"]) for item in pings["data"]] == [("ignored", "GET")]
    _, _, fetched = await api.request("GET", path)
    assert fetched["last_ping_at"] == NOW + 300
    assert await ping(api, patched["ping_url"], "POST") == (200, "OK")
    _, _, fetched = await api.request("GET", path)
    assert (fetched["last_ping_at"], fetched["next_expected_at"]) == (NOW + 330, NOW + 390)


async def test_it_deletes_a_heartbeat_with_its_pings(api):
    _, _, made = await api.request("POST", "/api/heartbeats", json={"slug": "job", "period_seconds": 60})
    _, _, kept = await api.request("POST", "/api/heartbeats", json={"slug": "other", "period_seconds": 60})
    for url in (made["ping_url"], made["ping_url"] + "/start", made["slug_url"], kept["ping_url"]):
        assert await ping(api, url) == (200, "OK")
    status, _, _ = await api.request("DELETE", f"/api/heartbeats/{made['id']}")
    assert status == 204
    assert await ping(api, made["ping_url"]) == (404, "not found")
    assert await ping(api, made["slug_url"]) == (404, "not found")
    status, _, answer = await api.request("GET", f"/api/heartbeats/{made['id']}/pings")
    assert (status, error(answer)[2]) == (404, "id")
    await api.daemon.writer.flush()
    with sqlite3.connect(api.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM heartbeats").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM pings").fetchone() == (1,)  # the other one's
    # The slug is free again, and a new heartbeat starts its own pings afresh.
    status, _, again = await api.request("POST", "/api/heartbeats", json={"slug": "job", "period_seconds": 60})
    assert status == 201, again
    assert await ping(api, again["slug_url"]) == (200, "OK")
    _, _, pings = await api.request("GET", f"/api/heartbeats/{again['id']}/pings")
    assert [item["n"] for item in pings["data"]] == [1]


async def test_it_creates_a_heartbeat_from_a_slug_url_when_asked(api):
    ping_key = api.daemon.heartbeats.ping_key
    url = f"{api.url}/ping/{ping_key}/made-by-cron"
    assert await ping(api, url) == (404, "not found")
    assert await ping(api, url + "?create=1") == (201, "Created")
    assert await ping(api, url + "?create=1") == (200, "OK")
    status, _, listed = await api.request("GET", "/api/heartbeats?slug=made-by-cron")
    assert status == 200
    (made,) = listed["data"]
    assert {key: made[key] for key in ("key", "name", "slug", "period_seconds", "grace_seconds", "managed_by",
                                       "current_state", "last_ping_at", "next_expected_at", "slug_url")} == {
        "key": None, "name": "made-by-cron", "slug": "made-by-cron", "period_seconds": 86400,
        "grace_seconds": 3600, "managed_by": "api", "current_state": "up", "last_ping_at": NOW,
        "next_expected_at": NOW + 86400, "slug_url": url}
    assert made["id"].startswith("hbt_") and made["id"] in api.daemon.heartbeats.beats
    # ... an ordinary API heartbeat: it can be changed and deleted.
    status, _, patched = await api.request("PATCH", f"/api/heartbeats/{made['id']}", json={"period_seconds": 3600})
    assert (status, patched["next_expected_at"]) == (200, NOW + 3600)


async def test_it_filters_the_list(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    made = {}
    for offset, (name, body) in enumerate((
            ("hourly", {"period_seconds": 3600, "tags": ["web", "eu"]}),
            ("weekday", {"oncalendar": "Mon..Fri 09:00", "tags": ["eu"]}),
            ("every-5", {"cron": "*/5 * * * *", "tags": ["db"]}),
            ("daily", {"period_seconds": 86400})), start=1):
        status, _, made[name] = await api.request("POST", "/api/heartbeats", json={"slug": name, **body})
        assert status == 201, made[name]
        # made 100 s apart (the clock stays put)
        await api.daemon.writer.run(lambda conn, id=made[name]["id"], at=(NOW + 100 * offset) * 1000:
                                    conn.execute("UPDATE heartbeats SET created_at = ? WHERE id = ?", (at, id)))
    await api.request("POST", f"/api/heartbeats/{made['weekday']['id']}/pause")
    assert await ping(api, made["hourly"]["ping_url"]) == (200, "OK")
    assert await ping(api, made["every-5"]["ping_url"] + "/fail") == (200, "OK")

    async def slugs(query: str) -> list[str]:
        status, _, body = await api.request("GET", f"/api/heartbeats?{query}")
        assert status == 200, body
        assert (body["object"], body["url"]) == ("list", "/api/heartbeats")
        return [item["slug"] for item in body["data"]]

    assert await slugs("") == ["daily", "every-5", "weekday", "hourly", "nightly"]  # newest first
    assert await slugs("status=paused") == ["weekday"]
    assert await slugs("status=active") == ["daily", "every-5", "hourly", "nightly"]
    assert await slugs("current_state=up") == ["hourly"]
    assert await slugs("current_state=down") == ["every-5"]
    assert await slugs("current_state=new") == ["daily", "weekday", "nightly"]
    assert await slugs("current_state=late") == []
    assert await slugs("schedule=period") == ["daily", "hourly"]
    assert await slugs("schedule=cron") == ["every-5", "nightly"]
    assert await slugs("schedule=oncalendar") == ["weekday"]
    assert await slugs("tag=eu") == ["weekday", "hourly"]
    assert await slugs("tag=db") == ["every-5", "nightly"]
    assert await slugs("tag=nope") == []
    assert await slugs("slug=weekday") == ["weekday"]
    assert await slugs("managed_by=config") == ["nightly"]
    assert await slugs("managed_by=api&schedule=cron") == ["every-5"]
    assert await slugs(f"created_gte={NOW + 200}") == ["daily", "every-5", "weekday"]
    assert await slugs(f"created_lte={NOW + 200}") == ["weekday", "hourly", "nightly"]
    assert await slugs(f"created_gte={NOW + 200}&created_lte={NOW + 300}") == ["every-5", "weekday"]
    assert await slugs("tag=eu&limit=1") == ["weekday"]

    for query, param in (("status=sleeping", "status"), ("current_state=sideways", "current_state"),
                         ("schedule=hourly", "schedule"), ("managed_by=me", "managed_by"),
                         ("created_gte=yesterday", "created_gte"),
                         (f"created_gte={NOW}&created_lte={NOW - 1}", "created_lte"),
                         ("created_gte=9223372036854775807", "created_gte"),
                         ("created_lte=-9223372036854775808", "created_lte"),
                         ("created_lte=99999999999999999999", "created_lte"),
                         ("limit=0", "limit"), ("limit=101", "limit"), ("colour=red", "colour"),
                         ("tag=a&tag=b", "tag"), ("starting_after=hbt_nope", "starting_after"),
                         (f"starting_after={made['daily']['id']}&ending_before={made['hourly']['id']}",
                          "ending_before")):
        status, _, answer = await api.request("GET", f"/api/heartbeats?{query}")
        out_of_bounds = query.startswith(("limit=", "created_gte=9", "created_lte=-", "created_lte=9"))  # 422
        assert (status, error(answer)[2]) == (422 if out_of_bounds else 400, param), (query, answer)


async def test_it_pages_through_heartbeats(api):
    ids = []
    for index in range(7):
        status, _, made = await api.request("POST", "/api/heartbeats", json={
            "slug": f"job-{index}", "period_seconds": 60})
        assert status == 201, made
        ids.append(made["id"])

    async def page(query: str) -> tuple[list[str], bool]:
        status, _, body = await api.request("GET", f"/api/heartbeats?{query}")
        assert status == 200, body
        return [item["id"] for item in body["data"]], body["has_more"]

    assert await page("") == (ids[::-1], False)
    assert await page("limit=3") == (ids[6:3:-1], True)
    assert await page(f"limit=3&starting_after={ids[4]}") == (ids[3:0:-1], True)
    assert await page(f"limit=3&starting_after={ids[1]}") == ([ids[0]], False)
    assert await page(f"limit=2&ending_before={ids[2]}") == ([ids[4], ids[3]], True)
    assert await page(f"limit=2&ending_before={ids[4]}") == ([ids[6], ids[5]], False)
    walked, cursor = [], None
    while True:
        items, more = await page("limit=2" + (f"&starting_after={cursor}" if cursor else ""))
        walked += items
        if not more:
            break
        cursor = items[-1]
    assert walked == ids[::-1]
    # a deleted heartbeat is no cursor any more
    await api.request("DELETE", f"/api/heartbeats/{ids[3]}")
    status, _, answer = await api.request("GET", f"/api/heartbeats?starting_after={ids[3]}")
    assert (status, error(answer)[2]) == (400, "starting_after")


async def test_it_checks_permissions(api):
    _, _, made = await api.request("POST", "/api/heartbeats", json={"slug": "job", "period_seconds": 60})
    path = f"/api/heartbeats/{made['id']}"
    assert await ping(api, made["ping_url"] + "/0", "POST", b"done") == (200, "OK")
    reader = await api.make_token("heartbeats:read")
    for route in (path, "/api/heartbeats", f"{path}/status", f"{path}/pings", f"{path}/pings/1/body"):
        status, _, _ = await api.request("GET", route, token=reader)
        assert status == 200, route
    for method, route, body, needed in (
            ("POST", "/api/heartbeats", {"period_seconds": 60}, "heartbeats:create"),
            ("PATCH", path, {"name": "x"}, "heartbeats:update"),
            ("PUT", path, {"name": "x"}, "heartbeats:update"),
            ("PATCH", path, {"nonsense": True}, "heartbeats:update"),  # refused before the body is read
            ("POST", f"{path}/pause", None, "heartbeats:update"),
            ("POST", f"{path}/resume", None, "heartbeats:update"),
            ("DELETE", path, None, "heartbeats:delete")):
        status, _, answer = await api.request(method, route, token=reader, json=body)
        assert (status, error(answer)[:2]) == (403, ("permission_error", "missing_permission")), (method, route)
        assert needed in error(answer)[3]
    monitors_only = await api.make_token("monitors:*")
    for route in ("/api/heartbeats", path, f"{path}/pings/1/body"):
        status, _, answer = await api.request("GET", route, token=monitors_only)
        assert status == 403 and "heartbeats:read" in error(answer)[3], route
    status, _, _ = await api.request("GET", path, token=None)
    assert status == 401
    _, _, fetched = await api.request("GET", path)
    assert (fetched["name"], fetched["status"]) == ("heartbeat", "active")  # nothing was done
    writer = await api.make_token("heartbeats:create,heartbeats:update,heartbeats:delete")
    status, _, _ = await api.request("PATCH", path, token=writer, json={"name": "x"})
    assert status == 200
    status, _, _ = await api.request("GET", path, token=writer)
    assert status == 403
    status, _, _ = await api.request("DELETE", path, token=writer)
    assert status == 204


async def test_it_stores_api_heartbeats_beside_config_ones(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/heartbeats", json={
        "slug": "job", "period_seconds": 60, "metadata": {"x": "y"}})
    await api.daemon.writer.flush()
    with sqlite3.connect(api.db_path) as conn:
        rows = conn.execute("SELECT key, id, managed_by, slug, token, metadata FROM heartbeats "
                            "ORDER BY seq").fetchall()
    token = made["ping_url"].rsplit("/", 1)[1]
    assert rows == [("nightly", rows[0][1], "config", "nightly", TOKEN, '{"team":"ops"}'),
                    (None, made["id"], "api", "job", token, '{"x":"y"}')]
    assert set(api.daemon.heartbeats.beats) == {"nightly", made["id"]}


async def test_a_slug_made_from_the_name_gets_a_number_when_taken(api):
    slugs = []
    for _ in range(3):
        status, _, made = await api.request("POST", "/api/heartbeats", json={"name": "Nightly Backup",
                                                                              "period_seconds": 3600})
        assert status == 201, made
        slugs.append(made["slug"])
    assert slugs == ["nightly-backup", "nightly-backup-2", "nightly-backup-3"]
    status, _, body = await api.request("POST", "/api/heartbeats", json={"name": "x", "slug": "nightly-backup",
                                                                         "period_seconds": 3600})
    assert (status, body["error"]["code"], body["error"]["param"]) == (409, "slug_in_use", "slug")
