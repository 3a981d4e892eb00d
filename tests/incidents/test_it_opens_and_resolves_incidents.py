"""System incidents end to end: a real TCP listener on loopback is the target,
closed to take it down and opened again to bring it back; the daemon's clock is
a FakeClock moved to each probe's due time, so every time is exact.

- down after confirmation -> one incident opens (type from the error kind,
  severity from the monitor), in the commit of the state change;
- up -> it resolves, duration_seconds the exact time down;
- down again within the reopen window -> the same incident reopens; after the
  window -> a new one;
- degraded opens one step lower; a heartbeat's failure ping opens a
  heartbeat_failed incident and its next success resolves it;
- the daemon, restarted, remembers the open incident (no duplicate)."""

from __future__ import annotations


import aiohttp

from clockdrive import Target, probe
from loopback import start_web
from upstatd.clock import FakeClock

NOW = 1_800_000_000


def state(api, key: str) -> str:
    return api.daemon.monitors.monitors[key].state.state


async def incidents(api, **query) -> list[dict]:
    params = "&".join(f"{name}={value}" for name, value in query.items())
    status, _, body = await api.request("GET", f"/api/incidents?limit=100&{params}")
    assert status == 200, body
    return body["data"]


async def events(api) -> list[tuple[str, dict]]:
    import json
    rows = await api.daemon.read_db.execute_fetchall("SELECT type, data FROM events ORDER BY seq")
    return [(kind, json.loads(data)["object"]) for kind, data in rows]


async def timeline(api, incident_id: str) -> list[tuple[str, str, str]]:
    status, _, body = await api.request("GET", f"/api/incidents/{incident_id}/updates?limit=100")
    assert status == 200, body
    return [(item["kind"], item["status"], item["author"]) for item in reversed(body["data"])]


async def make_monitor(api, target: Target, severity: str = "major") -> str:
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{target.port}", "name": "Loopback", "interval_seconds": 60,
        "timeout_seconds": 2, "severity": severity,
        "confirmation": {"failures": 2, "successes": 1, "recheck_seconds": 5}})
    assert status == 201, made
    return made["id"]


async def test_an_outage_opens_an_incident_that_recovery_resolves_and_flapping_reopens(start_api, target):
    api = await start_api("incidents: {reopen_window: 5m}", clock=FakeClock(wall=NOW))
    monitor = await make_monitor(api, target)
    await probe(api, monitor)
    assert state(api, monitor) == "up"
    assert await incidents(api) == []

    # Down: the first failure is not confirmed yet (a re-check comes 5 s later): no incident.
    await target.down()
    await probe(api, monitor)
    assert state(api, monitor) == "up" and await incidents(api) == []
    down_at = await probe(api, monitor)
    assert state(api, monitor) == "down"
    [incident] = await incidents(api)
    assert {key: incident[key] for key in ("object", "status", "severity", "type", "source", "title",
                                           "affected_monitor_ids", "started_at", "resolved_at",
                                           "duration_seconds", "acknowledged_at")} == {
        "object": "incident", "status": "open", "severity": "major", "type": "connection_error",
        "source": "system", "title": "Loopback is down", "affected_monitor_ids": [monitor],
        "started_at": int(down_at), "resolved_at": None, "duration_seconds": None, "acknowledged_at": None}
    assert incident["id"].startswith("inc_") and incident["error_message"]
    # The event is committed right behind the state change's own
    kinds = [kind for kind, _ in await events(api) if kind.startswith(("monitor.", "incident."))]
    assert kinds[-2:] == ["monitor.down", "incident.created"]

    # Still down on the next probes: still one incident
    await probe(api, monitor)
    assert len(await incidents(api)) == 1

    # Back up: resolved, with the exact time it was down
    await target.up()
    up_at = await probe(api, monitor)
    assert state(api, monitor) == "up"
    [resolved] = await incidents(api)
    assert resolved["id"] == incident["id"] and resolved["status"] == "resolved"
    assert resolved["resolved_at"] == int(up_at)
    assert resolved["duration_seconds"] == round(up_at - down_at, 3) and resolved["duration_seconds"] > 60
    assert await timeline(api, incident["id"]) == [("created", "open", "system"), ("resolved", "resolved", "system")]

    # Flapping within the window: the same incident reopens, no duplicate
    await target.down()
    await probe(api, monitor)
    await probe(api, monitor)
    assert state(api, monitor) == "down"
    [reopened] = await incidents(api)
    assert (reopened["id"], reopened["status"], reopened["resolved_at"]) == (incident["id"], "open", None)
    assert reopened["started_at"] == incident["started_at"]
    assert [kind for kind, _ in await events(api) if kind.startswith("incident.")] == [
        "incident.created", "incident.resolved", "incident.reopened"]
    await target.up()
    second_up = await probe(api, monitor)
    [again] = await incidents(api)
    assert again["status"] == "resolved" and again["resolved_at"] == int(second_up)
    assert [kind for kind, _, _ in await timeline(api, incident["id"])] == [
        "created", "resolved", "reopened", "resolved"]

    # After the window: a new incident
    api.clock.advance(400)
    await probe(api, monitor)  # still up, the clock well past the window
    await target.down()
    await probe(api, monitor)
    await probe(api, monitor)
    newest, oldest = await incidents(api)
    assert oldest["id"] == incident["id"] and oldest["status"] == "resolved"
    assert newest["id"] != incident["id"] and newest["status"] == "open"
    status, _, listed = await api.request("GET", f"/api/monitors/{monitor}/incidents")
    assert status == 200 and [item["id"] for item in listed["data"]] == [newest["id"], incident["id"]]

    # Affected checks: the monitor's state and the failed checks of the newest incident
    status, _, affected = await api.request("GET", f"/api/incidents/{newest['id']}/affected-checks")
    assert status == 200, affected
    [entry] = affected["data"]
    assert (entry["monitor_id"], entry["kind"], entry["current_state"]) == (monitor, "monitor", "down")
    assert len(entry["failed_checks"]) == 2
    assert all(not check["ok"] and check["error_kind"] == "connection_error" for check in entry["failed_checks"])


async def test_an_acknowledged_incident_resolves_by_itself_on_recovery(start_api, target):
    api = await start_api(clock=FakeClock(wall=NOW))
    monitor = await make_monitor(api, target, severity="critical")
    await probe(api, monitor)
    await target.down()
    await probe(api, monitor)
    await probe(api, monitor)
    [incident] = await incidents(api)
    assert incident["severity"] == "critical"
    status, _, acked = await api.request("POST", f"/api/incidents/{incident['id']}/acknowledge",
                                         json={"author": "carol"})
    assert status == 200 and acked["status"] == "acknowledged" and acked["acknowledged_by"] == "carol"
    status, _, patched = await api.request("PATCH", f"/api/incidents/{incident['id']}", json={"severity": "minor"})
    assert status == 200 and patched["severity"] == "minor" and patched["status"] == "acknowledged"
    await target.up()
    await probe(api, monitor)
    [resolved] = await incidents(api)
    assert resolved["status"] == "resolved" and resolved["acknowledged_by"] == "carol"
    assert await timeline(api, incident["id"]) == [
        ("created", "open", "system"), ("acknowledged", "acknowledged", "carol"),
        ("updated", "acknowledged", "admin"), ("resolved", "resolved", "system")]
    assert resolved["severity"] == "minor"


async def test_a_manual_resolve_then_a_failure_within_the_window_reopens(start_api, target):
    api = await start_api(clock=FakeClock(wall=NOW))
    monitor = await make_monitor(api, target)
    await probe(api, monitor)
    await target.down()
    await probe(api, monitor)
    await probe(api, monitor)
    [incident] = await incidents(api)
    status, _, _ = await api.request("POST", f"/api/incidents/{incident['id']}/resolve")
    assert status == 200
    await target.up()
    await probe(api, monitor)  # up: nothing left to resolve
    await target.down()
    await probe(api, monitor)
    await probe(api, monitor)
    [reopened] = await incidents(api)
    assert (reopened["id"], reopened["status"]) == (incident["id"], "open")

    # Closed by hand: the next failure opens a new incident (closed is final)
    await target.up()
    await probe(api, monitor)
    status, _, closed = await api.request("POST", f"/api/incidents/{incident['id']}/close")
    assert status == 200 and closed["status"] == "closed", closed
    await target.down()
    await probe(api, monitor)
    await probe(api, monitor)
    newest, oldest = await incidents(api)
    assert oldest["status"] == "closed" and newest["status"] == "open" and newest["id"] != incident["id"]


async def test_deleting_a_monitor_resolves_its_open_incident(start_api, target):
    api = await start_api(clock=FakeClock(wall=NOW))
    monitor = await make_monitor(api, target)
    await probe(api, monitor)
    await target.down()
    await probe(api, monitor)
    await probe(api, monitor)
    [incident] = await incidents(api)
    status, _, _ = await api.request("DELETE", f"/api/monitors/{monitor}")
    assert status == 204
    await api.daemon.writer.flush()
    [resolved] = await incidents(api)
    assert (resolved["id"], resolved["status"]) == (incident["id"], "resolved")
    status, _, body = await api.request("GET", f"/api/incidents/{incident['id']}/updates")
    assert body["data"][0]["message"] == "the monitor was deleted"
    assert api.daemon.incidents.by_subject.get(monitor) is None


async def test_a_restarted_daemon_remembers_the_open_incident(start_api, target):
    api = await start_api(clock=FakeClock(wall=NOW))
    monitor = await make_monitor(api, target)
    await probe(api, monitor)
    await target.down()
    await probe(api, monitor)
    await probe(api, monitor)
    [incident] = await incidents(api)
    await api.daemon.stop()
    api.clock.advance(600)
    await api.daemon.start()  # a new incident service, loaded from the database
    assert api.daemon.incidents.open_for(monitor).id == incident["id"]
    await target.up()
    await probe(api, monitor)
    [resolved] = await incidents(api)
    assert (resolved["id"], resolved["status"]) == (incident["id"], "resolved")


async def test_a_heartbeat_failure_opens_a_heartbeat_failed_incident(api):
    status, _, made = await api.request("POST", "/api/heartbeats", json={
        "name": "Backup", "period_seconds": 3600, "severity": "minor"})
    assert status == 201, made
    async with aiohttp.ClientSession() as session:
        async with session.get(made["ping_url"] + "/fail") as answer:
            assert answer.status == 200
        [incident] = await incidents(api)
        assert (incident["type"], incident["severity"], incident["source"], incident["affected_monitor_ids"]) == (
            "heartbeat_failed", "minor", "system", [made["id"]])
        async with session.get(made["ping_url"]) as answer:
            assert answer.status == 200
    [resolved] = await incidents(api)
    assert (resolved["id"], resolved["status"]) == (incident["id"], "resolved")
    status, _, affected = await api.request("GET", f"/api/incidents/{incident['id']}/affected-checks")
    assert status == 200 and affected["data"][0]["kind"] == "heartbeat"
    assert affected["data"][0]["current_state"] == "up"


async def test_a_degraded_monitor_opens_an_incident_one_severity_lower(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    web = await start_web()
    try:
        status, _, made = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url("/slow/150"), "interval_seconds": 60, "name": "Slow",
            "severity": "major", "http": {"max_response_time": 0.05},
            "confirmation": {"failures": 1, "successes": 1}})
        assert status == 201, made
        monitor = made["id"]
        await probe(api, monitor)
        assert state(api, monitor) == "degraded"
        [incident] = await incidents(api)
        assert (incident["severity"], incident["type"], incident["title"], incident["status"]) == (
            "minor", "slow_response", "Slow is degraded", "open")
    finally:
        await web.close()
    # Then down: the same incident, raised to the monitor's own severity
    await probe(api, monitor)
    assert state(api, monitor) == "down"
    [raised] = await incidents(api)
    assert (raised["id"], raised["severity"], raised["type"], raised["title"]) == (
        incident["id"], "major", "connection_error", "Slow is down")
    assert [kind for kind, _, _ in await timeline(api, incident["id"])] == ["created", "updated"]
    assert [kind for kind, _ in await events(api) if kind.startswith("incident.")] == [
        "incident.created", "incident.updated"]
