"""/api/monitors over real HTTP against the in-process daemon: create, read,
update (PATCH and PUT, partial), delete with exact JSON; every validation
error names its param (the config file's own validation behind it); config
monitors are read-only except pause/resume; secrets in options stay hidden;
list filters."""

from __future__ import annotations

import sqlite3

import pytest

from loopback import closed_port, start_web
from upstatd.clock import FakeClock

NOW = 1_800_000_000  # the FakeClock's wall time, Unix seconds
# Targets nobody listens on: a probe that a moved clock sets off stays on loopback.
PORT = closed_port()
HTTP = f"http://127.0.0.1:{PORT}/health"
TCP = f"tcp://127.0.0.1:{PORT}"


def error(body: dict) -> tuple[int | None, str, str | None, str]:
    e = body["error"]
    return e["type"], e["code"], e["param"], e["message"]


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_it_creates_reads_updates_and_deletes_a_monitor(api):
    status, headers, made = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "http", "url": HTTP,
        "interval_seconds": 30, "timeout_seconds": 2.5, "confirmation": {"failures": 3},
        "severity": "major", "tags": ["web", "eu"], "metadata": {"team": "ops", "gone": ""},
        "http": {"method": "HEAD", "expected_status": [200, "3xx"]}})
    assert status == 201, made
    assert headers["Request-Id"].startswith("req_")
    monitor_id = made["id"]
    assert monitor_id.startswith("mon_") and len(monitor_id) == 26
    expected = {
        "id": monitor_id, "object": "monitor", "key": None, "name": "Shop", "type": "http",
        "url": HTTP, "interval_seconds": 30, "timeout_seconds": 2.5,
        "confirmation": {"failures": 3, "successes": 1, "recheck_seconds": 5},
        "severity": "major", "tags": ["web", "eu"], "metadata": {"team": "ops"},
        "http": {"method": "HEAD", "expected_status": [200, "3xx"]},
        "alert_channels": None, "reminder_interval_seconds": None, "group_id": None, "escalation_policy": None,
        "service_id": None, "regions": None, "quorum": None,
        "status": "active", "current_state": "pending", "since": NOW, "stats": None, "managed_by": "api",
        "paused_at": None, "resume_at": None, "last_check_at": None,
        "created_at": NOW, "updated_at": NOW,
    }
    assert made == expected
    assert list(made) == list(expected)  # field order as documented
    assert monitor_id in api.daemon.monitors.monitors  # running at once

    status, _, fetched = await api.request("GET", f"/api/monitors/{monitor_id}")
    assert (status, fetched) == (200, expected)

    api.clock.advance(10)  # the first probe (refused) is due within half a second of the creation
    status, _, patched = await api.request("PATCH", f"/api/monitors/{monitor_id}", json={
        "interval_seconds": 60, "http": {"method": "GET", "keyword": "healthy"},
        "metadata": {"team": "", "owner": "ana"}, "confirmation": {"recheck_seconds": 2}})
    assert status == 200, patched
    assert patched["last_check_at"] in (None, NOW + 10)
    expected["last_check_at"] = patched["last_check_at"] = None
    expected |= {"interval_seconds": 60, "metadata": {"owner": "ana"},
                 "confirmation": {"failures": 3, "successes": 1, "recheck_seconds": 2},
                 "http": {"method": "GET", "expected_status": [200, "3xx"], "keyword": "healthy"},
                 "updated_at": NOW + 10}
    assert patched == expected
    running = api.daemon.monitors.monitors[monitor_id]
    assert (running.spec.interval, running.spec.options["keyword"]) == (60, "healthy")

    # PUT is a partial update too; a null inside the type block removes that option.
    status, _, put = await api.request("PUT", f"/api/monitors/{monitor_id}", json={
        "name": "Shop (EU)", "http": {"keyword": None}, "tags": []})
    assert status == 200, put
    expected |= {"name": "Shop (EU)", "tags": [], "http": {"method": "GET", "expected_status": [200, "3xx"]}}
    assert put | {"last_check_at": None} == expected

    status, headers, deleted = await api.request("DELETE", f"/api/monitors/{monitor_id}")
    assert (status, deleted) == (204, None)
    assert monitor_id not in api.daemon.monitors.monitors
    status, _, missing = await api.request("GET", f"/api/monitors/{monitor_id}")
    assert status == 404
    assert error(missing)[:3] == ("invalid_request_error", "resource_missing", "id")
    status, _, again = await api.request("DELETE", f"/api/monitors/{monitor_id}")
    assert status == 404


async def test_it_fills_in_defaults_from_the_config(start_api):
    api = await start_api("defaults: {interval: 2m, timeout: 5s, confirmation: {failures: 4}}",
                          clock=FakeClock(wall=NOW))
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": TCP})
    assert status == 201, made
    assert {key: made[key] for key in ("name", "interval_seconds", "timeout_seconds", "confirmation",
                                       "severity", "tags", "metadata", "tcp")} == {
        "name": TCP, "interval_seconds": 120, "timeout_seconds": 5,
        "confirmation": {"failures": 4, "successes": 1, "recheck_seconds": 5},
        "severity": "critical", "tags": [], "metadata": {}, "tcp": {}}
    assert "http" not in made


INVALID = [
    # (status, body, param, words in the message): 400 malformed (wrong type, unknown or
    # missing parameter), 422 a well-formed value that fails validation
    (400, {"url": "https://example.com/"}, "type", "missing required field 'type'"),
    (400, {"type": "http"}, "url", "missing required field 'url'"),
    (422, {"type": "gopher", "url": "gopher://x"}, "type", "must be one of http, tcp"),
    (422, {"type": "http", "url": "ftp://example.com/"}, "url", "must be an http:// or https:// URL"),
    (422, {"type": "tcp", "url": "tcp://example.com"}, "url", "tcp://host:port"),
    (422, {"type": "http", "url": "https://example.com/", "interval_seconds": 0.5}, "interval_seconds", ">= 1s"),
    (400, {"type": "http", "url": "https://example.com/", "interval_seconds": "30s"}, "interval_seconds",
     "must be a number of seconds, got a string"),
    (422, {"type": "http", "url": "https://example.com/", "interval_seconds": 10, "timeout_seconds": 20},
     "timeout_seconds", "must not exceed interval"),
    (422, {"type": "http", "url": "https://example.com/", "confirmation": {"failures": 0}},
     "confirmation.failures", ">= 1"),
    (422, {"type": "http", "url": "https://example.com/", "confirmation": {"recheck_seconds": 0}},
     "confirmation.recheck_seconds", ">= 1s"),
    (400, {"type": "http", "url": "https://example.com/", "confirmation": {"tries": 1}},
     "confirmation.tries", "confirmation.tries is not a known parameter"),
    (422, {"type": "http", "url": "https://example.com/", "severity": "huge"}, "severity",
     "must be one of critical, major, minor, warning, got 'huge'"),
    (422, {"type": "http", "url": "https://example.com/", "tags": ["ok", ""]}, "tags.1", "must not be empty"),
    (400, {"type": "http", "url": "https://example.com/", "metadata": {"k": 5}}, "metadata.k", "strings"),
    (422, {"type": "http", "url": "https://example.com/", "metadata": {"k" * 41: "v"}}, "metadata." + "k" * 41,
     "40"),
    (422, {"type": "http", "url": "https://example.com/", "http": {"method": "FETCH"}}, "http.method",
     "must be one of GET, HEAD"),
    (400, {"type": "http", "url": "https://example.com/", "http": {"methd": "GET"}}, "http.methd", "unknown key"),
    (422, {"type": "http", "url": "https://example.com/", "http": {"expected_status": ["9xx"]}},
     "http.expected_status", "got '9xx'"),
    (422, {"type": "http", "url": "https://example.com/", "tcp": {}}, "tcp",
     "'tcp' options are not allowed on a monitor of type http"),
    (422, {"type": "dns", "url": "example.com", "dns": {"record_type": "XYZ"}}, "dns.record_type", ""),
    (400, {"type": "http", "url": "https://example.com/", "key": "shop"}, "key", "key is not a known parameter"),
    (400, {"type": "http", "url": "https://example.com/", "status": "paused"}, "status", "status is not a known parameter"),
]


@pytest.mark.parametrize("expected, body, param, words", INVALID, ids=[case[2] for case in INVALID])
async def test_it_names_the_param_of_a_bad_monitor(api, expected, body, param, words):
    status, _, answer = await api.request("POST", "/api/monitors", json=body)
    assert status == expected, answer
    kind, code, got_param, message = error(answer)
    assert (kind, got_param) == ("invalid_request_error", param), message
    assert words in message
    _, _, listed = await api.request("GET", "/api/monitors")
    assert listed["data"] == []  # nothing half-made


async def test_it_validates_an_update_against_the_whole_monitor(api):
    _, _, made = await api.request("POST", "/api/monitors", json={
        "type": "http", "url": HTTP, "interval_seconds": 60, "timeout_seconds": 30})
    path = f"/api/monitors/{made['id']}"
    status, _, answer = await api.request("PATCH", path, json={"interval_seconds": 10, "timeout_seconds": 30})
    assert status == 422 and error(answer)[2] == "timeout_seconds"
    assert "must not exceed interval (10s)" in error(answer)[3]
    # A new interval alone cuts a longer timeout to it, as the file does with a default timeout.
    status, _, answer = await api.request("PATCH", path, json={"interval_seconds": 10})
    assert (status, answer["interval_seconds"], answer["timeout_seconds"]) == (200, 10, 10)
    made |= {"interval_seconds": 10, "timeout_seconds": 10}
    status, _, answer = await api.request("PATCH", path, json={"type": "tcp"})
    assert status == 422 and error(answer)[2] == "type"
    assert "type cannot change (this monitor is http)" in error(answer)[3]
    status, _, answer = await api.request("PATCH", path, json={"type": "http", "name": "same type is fine"})
    assert status == 200 and answer["name"] == "same type is fine"
    status, _, answer = await api.request("PATCH", path, json={"http": {"method": "HEAD", "keyword": "x"}})
    assert status == 422 and error(answer)[2] == "http.method"
    _, _, unchanged = await api.request("GET", path)
    assert unchanged == made | {"name": "same type is fine"}


async def test_it_keeps_config_monitors_read_only_except_pause_and_resume(start_api):
    api = await start_api("""
        monitors:
          - {key: shop, name: Shop, type: tcp, url: "tcp://127.0.0.1:%d", metadata: {team: web}}
        """ % PORT, clock=FakeClock(wall=NOW))
    _, _, listed = await api.request("GET", "/api/monitors")
    (shop,) = listed["data"]
    assert {key: shop[key] for key in ("key", "name", "managed_by", "status", "metadata", "tcp")} == {
        "key": "shop", "name": "Shop", "managed_by": "config", "status": "active",
        "metadata": {"team": "web"}, "tcp": {}}
    path = f"/api/monitors/{shop['id']}"
    for method, body in (("PATCH", {"name": "Other"}), ("PUT", {"name": "Other"}), ("DELETE", None)):
        status, _, answer = await api.request(method, path, json=body)
        assert status == 409, (method, answer)
        kind, code, _, message = error(answer)
        assert (kind, code) == ("invalid_request_error", "managed_by_config")
        assert str(api.config_path) in message and "'shop'" in message
    status, _, paused = await api.request("POST", f"{path}/pause")
    assert (status, paused["status"], paused["paused_at"]) == (200, "paused", NOW)
    status, _, resumed = await api.request("POST", f"{path}/resume")
    assert (status, resumed["status"], resumed["paused_at"]) == (200, "active", None)
    _, _, fetched = await api.request("GET", path)
    assert fetched["name"] == "Shop"


async def test_it_never_shows_secrets_and_keeps_them_when_sent_back(capfd, api):  # capture from the start
    web = await start_web()
    try:
        status, _, made = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url("/ok"),
            "http": {"auth": {"basic": {"username": "ana", "password": "s3cret-pw"}},
                     "headers": {"Cookie": "session=s3cret-cookie", "X-Api-Key": "s3cret-key",
                                 "Accept": "text/plain"}}})
        assert status == 201, made
        assert made["http"] == {"auth": {"basic": {"username": "ana", "password": "********"}},
                                "headers": {"Cookie": "********", "X-Api-Key": "********",
                                            "Accept": "text/plain"}}  # every value but harmless ones
        # The block sent back as shown, with one change: the secrets stay what they were.
        shown = made["http"] | {"follow_redirects": False}
        status, _, patched = await api.request("PATCH", f"/api/monitors/{made['id']}", json={"http": shown})
        assert status == 200 and patched["http"] == shown
        for path in ("/api/monitors", f"/api/monitors/{made['id']}", "/api/events"):
            _, _, body = await api.request("GET", path)
            assert "s3cret" not in str(body)
        # ... and the probe still sends them.
        api.clock.advance(1)
        for _ in range(200):
            if web.seen:
                break
            await api.request("GET", "/api/monitors")
        headers = dict(web.seen[0].headers)
        assert headers["Cookie"] == "session=s3cret-cookie"
        assert headers["X-Api-Key"] == "s3cret-key"
        out, err = capfd.readouterr()
        assert "daemon." in out + err and "s3cret" not in out + err  # the log is read, and holds none
        assert headers["Authorization"] == "Basic YW5hOnMzY3JldC1wdw=="
    finally:
        await web.close()


async def test_it_filters_the_list(start_api):
    api = await start_api("""
        monitors:
          - {key: from-file, type: tcp, url: "tcp://127.0.0.1:%d", tags: [db]}
        """ % PORT + """
        """, clock=FakeClock(wall=NOW))
    made = {}
    for offset, (name, body) in enumerate( (("web", {"type": "http", "url": HTTP, "tags": ["web", "eu"]}),
                       ("dns", {"type": "dns", "url": "example.com", "tags": ["eu"],
                                "dns": {"nameserver": f"127.0.0.1:{PORT}"}}),
                       ("tcp", {"type": "tcp", "url": TCP, "tags": ["db"]})), start=1):
        status, _, made[name] = await api.request("POST", "/api/monitors", json={"name": name, **body})
        assert status == 201, made[name]
        # made 100 s apart (the clock stays put: moving it would set off probes, and states with them)
        await api.daemon.writer.run(lambda conn, id=made[name]["id"], at=(NOW + 100 * offset) * 1000:
                                    conn.execute("UPDATE monitors SET created_at = ? WHERE id = ?", (at, id)))
    await api.request("POST", f"/api/monitors/{made['dns']['id']}/pause")
    await api.daemon.writer.run(lambda conn: conn.execute(
        "UPDATE monitors SET current_state = 'down' WHERE id = ?", (made["tcp"]["id"],)))

    async def names(query: str) -> list[str]:
        status, _, body = await api.request("GET", f"/api/monitors?{query}")
        assert status == 200, body
        assert body["url"] == "/api/monitors"
        return [item["key"] or item["name"] for item in body["data"]]

    assert await names("") == ["tcp", "dns", "web", "from-file"]  # newest first
    assert await names("status=paused") == ["dns"]
    assert await names("status=active") == ["tcp", "web", "from-file"]
    assert await names("current_state=down") == ["tcp"]
    assert await names("current_state=pending&type=tcp") == ["from-file"]
    assert await names("type=http") == ["web"]
    assert await names("tag=eu") == ["dns", "web"]
    assert await names("tag=db") == ["tcp", "from-file"]
    assert await names("managed_by=config") == ["from-file"]
    assert await names(f"created_gte={NOW + 200}") == ["tcp", "dns"]
    assert await names(f"created_lte={NOW + 200}") == ["dns", "web", "from-file"]
    assert await names(f"created_gte={NOW + 200}&created_lte={NOW + 200}") == ["dns"]
    assert await names("tag=eu&limit=1") == ["dns"]

    for query, param in (("status=sleeping", "status"), ("current_state=sideways", "current_state"),
                         ("type=gopher", "type"), ("managed_by=me", "managed_by"),
                         ("created_gte=yesterday", "created_gte"),
                         (f"created_gte={NOW}&created_lte={NOW - 1}", "created_lte"),
                         ("limit=0", "limit"), ("colour=red", "colour"),
                         ("starting_after=mon_nope", "starting_after")):
        status, _, answer = await api.request("GET", f"/api/monitors?{query}")
        out_of_bounds = query.startswith("limit=")  # msgspec.Meta bounds: 422
        assert (status, error(answer)[2]) == (422 if out_of_bounds else 400, param), (query, answer)


async def test_it_checks_permissions(api):
    reader = await api.make_token("monitors:read")
    status, _, answer = await api.request("POST", "/api/monitors", token=reader,
                                          json={"type": "tcp", "url": TCP})
    assert status == 403 and "monitors:create" in error(answer)[3]
    _, _, made = await api.request("POST", "/api/monitors", json={"type": "tcp", "url": TCP})
    status, _, answer = await api.request("POST", f"/api/monitors/{made['id']}/pause", token=reader)
    assert status == 403 and "monitors:update" in error(answer)[3]
    status, _, _ = await api.request("GET", f"/api/monitors/{made['id']}/status", token=reader)
    assert status == 200


async def test_it_stores_api_monitors_beside_config_ones(start_api):
    api = await start_api(f"monitors:\n  - {{key: a, type: tcp, url: '{TCP}'}}\n", clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": TCP, "metadata": {"x": "y"}})
    await api.daemon.writer.flush()
    with sqlite3.connect(api.db_path) as conn:
        rows = conn.execute("SELECT key, managed_by, metadata FROM monitors ORDER BY seq").fetchall()
    assert rows == [("a", "config", "{}"), (None, "api", '{"x":"y"}')]
    assert made["id"] in api.daemon.monitors.monitors and "a" in api.daemon.monitors.monitors


async def test_a_change_that_changes_nothing_writes_nothing(start_api):
    clock = FakeClock(wall=NOW)
    api = await start_api(clock=clock)
    _, _, made = await api.request("POST", "/api/monitors", json={
        "type": "http", "url": HTTP, "interval_seconds": 60, "metadata": {"team": "web"}})
    path = f"/api/monitors/{made['id']}"
    clock.advance(100)
    for method, body in (("PATCH", {}), ("PATCH", {"interval_seconds": 60, "metadata": {"team": "web"}}),
                         ("PUT", {"name": made["name"], "http": {}}), ("PATCH", {"type": "http"})):
        status, _, answer = await api.request(method, path, json=body)
        assert (status, answer["updated_at"]) == (200, made["updated_at"]), (method, body, answer)
    status, _, answer = await api.request("POST", f"{path}/resume")  # not paused: nothing to do
    assert (status, answer["updated_at"]) == (200, made["updated_at"])
    await api.daemon.writer.flush()
    _, _, listed = await api.request("GET", "/api/events?type=monitor.*")
    assert [event["type"] for event in listed["data"]] == ["monitor.created"]
    # a real change does move it, once
    status, _, answer = await api.request("PATCH", path, json={"interval_seconds": 30})
    assert (status, answer["updated_at"]) == (200, NOW + 100)
    _, _, listed = await api.request("GET", "/api/events?type=monitor.*")
    assert [event["type"] for event in listed["data"]] == ["monitor.updated", "monitor.created"]
