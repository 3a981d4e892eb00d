"""Incidents over the API: a manual incident walked through every move, allowed
and refused (409 naming the current status and the allowed moves), each allowed
one adding its timeline entry (with who made it) and its event; PATCH, comments,
the list's filters, a monitor's incidents, and the 400s and 404s."""

from __future__ import annotations

import json

import pytest

from loopback import start_web
from upstatd.clock import FakeClock

NOW = 1_800_000_000
ACTIONS = ("acknowledge", "resolve", "reopen", "close")
ALLOWED = {"open": {"acknowledge", "resolve"}, "acknowledged": {"resolve"}, "resolved": {"reopen", "close"},
           "closed": set()}
TARGETS = {"acknowledge": "acknowledged", "resolve": "resolved", "reopen": "open", "close": "closed"}
KINDS = {"acknowledge": "acknowledged", "resolve": "resolved", "reopen": "reopened", "close": "closed"}


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


@pytest.fixture
async def web():
    server = await start_web()
    yield server
    await server.close()


async def events(api, incident_id: str | None = None) -> list[str]:
    rows = await api.daemon.read_db.execute_fetchall(
        "SELECT type, data FROM events WHERE type LIKE 'incident.%' ORDER BY seq")
    out = []
    for kind, data in rows:
        obj = json.loads(data)["object"]
        if incident_id is None or obj.get("id") == incident_id or obj.get("incident_id") == incident_id:
            out.append(kind)
    return out


async def timeline(api, incident_id: str) -> list[tuple[str, str, str, str | None]]:
    status, _, body = await api.request("GET", f"/api/incidents/{incident_id}/updates?limit=100")
    assert status == 200, body
    return [(item["kind"], item["status"], item["author"], item["message"]) for item in reversed(body["data"])]


async def make_monitor(api, web) -> str:
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "http", "url": web.url("/ok"), "interval_seconds": 3600})
    assert status == 201, made
    return made["id"]


async def open_incident(api, token=None, **fields) -> dict:
    body = {"title": "Checkout is slow", "severity": "minor", "type": "slow_response",
            "error_message": "p95 over 2 s", **fields}
    kwargs = {} if token is None else {"token": token}
    status, _, made = await api.request("POST", "/api/incidents", json=body, **kwargs)
    assert status == 201, made
    return made


async def test_every_move_from_every_status_is_allowed_or_refused_with_its_timeline_and_event(api, web):
    monitor = await make_monitor(api, web)
    alice = await api.make_token("incidents:*", name="alice")
    made = await open_incident(api, token=alice, affected_monitor_ids=[monitor], message="looking into it")
    incident_id = made["id"]
    assert {key: made[key] for key in ("object", "status", "severity", "type", "source", "title", "error_message",
                                       "affected_monitor_ids", "started_at", "created_at", "updated_at",
                                       "acknowledged_at", "resolved_at", "closed_at", "duration_seconds")} == {
        "object": "incident", "status": "open", "severity": "minor", "type": "slow_response", "source": "manual",
        "title": "Checkout is slow", "error_message": "p95 over 2 s", "affected_monitor_ids": [monitor],
        "started_at": NOW, "created_at": NOW, "updated_at": NOW, "acknowledged_at": None, "resolved_at": None,
        "closed_at": None, "duration_seconds": None}
    assert incident_id.startswith("inc_")
    assert await timeline(api, incident_id) == [("created", "open", "alice", "looking into it")]
    assert await events(api, incident_id) == ["incident.created"]

    # Walk: at each status, every refused action is a 409 that changes nothing; then take an allowed one.
    walk = [("acknowledge", "alice", None), ("resolve", None, "fixed the cache"), ("reopen", None, None),
            ("resolve", "bob", None), ("close", None, "post-mortem done")]
    expected_timeline = [("created", "open", "alice", "looking into it")]
    expected_events = ["incident.created"]
    status_now = "open"
    for action, author, message in walk:
        for refused in sorted(set(ACTIONS) - ALLOWED[status_now]):
            code, _, answer = await api.request("POST", f"/api/incidents/{incident_id}/{refused}", token=alice)
            assert code == 409, (status_now, refused, answer)
            error = answer["error"]
            assert error["type"] == "invalid_request_error" and error["code"] == "incident_transition_invalid"
            assert f"the incident is {status_now}" in error["message"]
            for allowed in ALLOWED[status_now]:
                assert allowed in error["message"]
            # the same through PUT .../status, naming the param
            code, _, answer = await api.request("PUT", f"/api/incidents/{incident_id}/status", token=alice,
                                                json={"status": TARGETS[refused]})
            assert code == 409 and answer["error"]["param"] == "status", answer
        api.clock.advance(60)
        body = {key: value for key, value in (("author", author), ("message", message)) if value is not None}
        code, _, moved = await api.request("POST", f"/api/incidents/{incident_id}/{action}", token=alice, json=body)
        assert code == 200, moved
        status_now = TARGETS[action]
        assert moved["status"] == status_now and moved["updated_at"] == int(api.clock.time())
        expected_timeline.append((KINDS[action], status_now, author or "alice", message))
        expected_events.append(f"incident.{KINDS[action]}")
        assert await timeline(api, incident_id) == expected_timeline
        assert await events(api, incident_id) == expected_events
        if action == "acknowledge":
            assert (moved["acknowledged_by"], moved["acknowledged_at"]) == ("alice", NOW + 60)
        if action == "resolve":
            assert moved["resolved_at"] == int(api.clock.time())
            assert moved["duration_seconds"] == api.clock.time() - NOW
        if action == "reopen":
            assert (moved["resolved_at"], moved["duration_seconds"]) == (None, None)

    # Closed is final: everything is refused, saying so
    assert status_now == "closed"
    for action in ACTIONS:
        code, _, answer = await api.request("POST", f"/api/incidents/{incident_id}/{action}")
        assert code == 409 and "closed is final" in answer["error"]["message"], answer
    _, _, final = await api.request("GET", f"/api/incidents/{incident_id}")
    assert (final["status"], final["closed_at"], final["resolved_at"], final["duration_seconds"]) == (
        "closed", NOW + 300, NOW + 240, 240.0)
    assert final["acknowledged_by"] == "alice"
    assert await events(api, incident_id) == expected_events  # nothing refused made an event


async def test_put_status_moves_like_the_action_routes(api):
    made = await open_incident(api)
    path = f"/api/incidents/{made['id']}/status"
    for target, kind in (("acknowledged", "acknowledged"), ("resolved", "resolved"), ("open", "reopened"),
                         ("resolved", "resolved"), ("closed", "closed")):
        code, _, moved = await api.request("PUT", path, json={"status": target, "author": "ops bot"})
        assert code == 200 and moved["status"] == target, moved
    assert [kind for kind, _, _, _ in await timeline(api, made["id"])] == [
        "created", "acknowledged", "resolved", "reopened", "resolved", "closed"]
    assert {author for _, _, author, _ in (await timeline(api, made["id"]))[1:]} == {"ops bot"}
    code, _, answer = await api.request("PUT", path, json={"status": "open"})
    assert code == 409 and answer["error"]["param"] == "status"
    code, _, answer = await api.request("PUT", path, json={"status": "gone"})
    assert code == 422 and answer["error"]["param"] == "status"


async def test_patch_and_comments_go_on_the_timeline_with_their_events(api):
    made = await open_incident(api)
    incident_id = made["id"]
    api.clock.advance(30)
    code, _, changed = await api.request("PATCH", f"/api/incidents/{incident_id}", json={
        "severity": "critical", "title": "Checkout is down", "message": "500s everywhere",
        "metadata": {"ticket": "OPS-1"}, "author": "dana"})
    assert code == 200, changed
    assert (changed["severity"], changed["title"], changed["error_message"], changed["metadata"],
            changed["updated_at"]) == ("critical", "Checkout is down", "500s everywhere", {"ticket": "OPS-1"}, NOW + 30)
    # Nothing changed: no entry, no event
    code, _, same = await api.request("PATCH", f"/api/incidents/{incident_id}", json={"severity": "critical"})
    assert code == 200 and same == changed

    code, _, comment = await api.request("POST", f"/api/incidents/{incident_id}/updates",
                                         json={"message": "rolled back 1.4.2"})
    assert code == 201, comment
    assert (comment["object"], comment["kind"], comment["status"], comment["message"], comment["incident_id"]) == (
        "incident_update", "comment", "open", "rolled back 1.4.2", incident_id)
    assert comment["id"].startswith("iup_")
    entries = await timeline(api, incident_id)
    assert [kind for kind, _, _, _ in entries] == ["created", "updated", "comment"]
    assert entries[1][2] == "dana" and "severity minor -> critical" in entries[1][3]
    assert await events(api, incident_id) == ["incident.created", "incident.updated", "incident.commented"]

    # The timeline pages like every list
    code, _, first = await api.request("GET", f"/api/incidents/{incident_id}/updates?limit=2")
    assert code == 200 and first["has_more"] and [item["kind"] for item in first["data"]] == ["comment", "updated"]
    code, _, rest = await api.request(
        "GET", f"/api/incidents/{incident_id}/updates?limit=2&starting_after={first['data'][-1]['id']}")
    assert [item["kind"] for item in rest["data"]] == ["created"] and not rest["has_more"]

    code, _, answer = await api.request("PATCH", f"/api/incidents/{incident_id}",
                                        json={"message": "a", "error_message": "b"})
    assert code == 422 and answer["error"]["param"] == "error_message"
    code, _, answer = await api.request("PATCH", f"/api/incidents/{incident_id}", json={"severity": "huge"})
    assert code == 422 and answer["error"]["param"] == "severity"
    code, _, answer = await api.request("POST", f"/api/incidents/{incident_id}/updates", json={})
    assert code == 400 and answer["error"]["param"] == "message"


async def test_it_lists_incidents_with_filters(api, web):
    monitor = await make_monitor(api, web)
    first = await open_incident(api, affected_monitor_ids=[monitor], severity="critical")
    api.clock.advance(100)
    second = await open_incident(api, severity="warning")
    api.clock.advance(100)
    await api.request("POST", f"/api/incidents/{first['id']}/resolve")

    async def ids(query: str) -> list[str]:
        code, _, body = await api.request("GET", f"/api/incidents?{query}")
        assert code == 200, body
        return [item["id"] for item in body["data"]]

    assert await ids("") == [second["id"], first["id"]]
    assert await ids("status=resolved") == [first["id"]]
    assert await ids("status=open") == [second["id"]]
    assert await ids("severity=warning") == [second["id"]]
    assert await ids(f"monitor_id={monitor}") == [first["id"]]
    assert await ids("source=manual") == [second["id"], first["id"]]
    assert await ids("source=system") == []
    assert await ids(f"created_gte={NOW + 50}") == [second["id"]]
    assert await ids(f"created_lte={NOW + 50}") == [first["id"]]
    assert await ids(f"since={NOW + 150}") == [first["id"]]  # changed since: the resolve
    assert await ids("limit=1") == [second["id"]]

    code, _, body = await api.request("GET", f"/api/monitors/{monitor}/incidents")
    assert code == 200 and [item["id"] for item in body["data"]] == [first["id"]]
    code, _, body = await api.request("GET", f"/api/monitors/{monitor}/incidents?from={NOW + 300}")
    assert code == 200 and body["data"] == []  # resolved at NOW + 200
    code, _, body = await api.request("GET", f"/api/monitors/{monitor}/incidents?from={NOW + 100}&to={NOW + 150}")
    assert [item["id"] for item in body["data"]] == [first["id"]]
    code, _, body = await api.request("GET", f"/api/monitors/{monitor}/incidents?to={NOW - 1}")
    assert body["data"] == []
    code, _, body = await api.request("GET", f"/api/monitors/{monitor}/incidents?from={NOW + 10}&to={NOW}")
    assert code == 400 and body["error"]["param"] == "to"

    for query, param in (("status=maybe", "status"), ("severity=huge", "severity"), ("source=cron", "source"),
                         ("created_gte=NOW", "created_gte"), ("since=-1", "since")):
        code, _, body = await api.request("GET", f"/api/incidents?{query}")
        out_of_bounds = query == "since=-1"  # msgspec.Meta bounds: 422
        assert code == (422 if out_of_bounds else 400) and body["error"]["param"] == param, (query, body)


async def test_it_answers_400_and_404_naming_the_param(api):
    code, _, answer = await api.request("POST", "/api/incidents", json={"severity": "minor"})
    assert code == 400 and answer["error"]["param"] == "title"
    code, _, answer = await api.request("POST", "/api/incidents", json={"title": "x", "severity": "bad"})
    assert code == 422 and answer["error"]["param"] == "severity"
    code, _, answer = await api.request("POST", "/api/incidents", json={"title": "x", "type": "meteor"})
    assert code == 422 and answer["error"]["param"] == "type"
    code, _, answer = await api.request("POST", "/api/incidents", json={
        "title": "x", "affected_monitor_ids": ["mon_" + "0" * 22]})
    assert code == 422 and answer["error"]["param"] == "affected_monitor_ids.0"
    code, _, answer = await api.request("POST", "/api/incidents", json={
        "title": "x", "affected_monitor_ids": ["nope"]})
    assert code == 422 and answer["error"]["param"] == "affected_monitor_ids.0"
    code, _, answer = await api.request("POST", "/api/incidents", json={"title": "x", "colour": "red"})
    assert code == 400 and answer["error"]["param"] == "colour"

    missing = "inc_" + "0" * 22
    for method, path in (("GET", ""), ("PATCH", ""), ("POST", "/acknowledge"), ("POST", "/resolve"),
                         ("POST", "/reopen"), ("POST", "/close"), ("PUT", "/status"), ("POST", "/updates"),
                         ("GET", "/updates"), ("GET", "/affected-checks")):
        body = {"status": "resolved", "message": "m"} if path == "/status" else \
            {"message": "m"} if method != "GET" else None
        code, _, answer = await api.request(method, f"/api/incidents/{missing}{path}", json=body)
        assert code == 404 and answer["error"]["param"] == "id", (method, path, answer)
    code, _, answer = await api.request("GET", f"/api/monitors/mon_{'0' * 22}/incidents")
    assert code == 404
    # The defaults: severity major, type manual, no monitors, the token's name as author
    made = await open_incident(api, severity="major")
    code, _, bare = await api.request("POST", "/api/incidents", json={"title": "Something"})
    assert code == 201 and (bare["severity"], bare["type"], bare["affected_monitor_ids"]) == ("major", "manual", [])
    assert made["source"] == "manual"
