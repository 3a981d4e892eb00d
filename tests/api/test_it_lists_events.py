"""GET /api/events: every change is an event, written with the change."""

from __future__ import annotations

import asyncio
import sqlite3

from loopback import closed_port
from upstatd.clock import FakeClock

TOKEN = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"


async def events(api, query: str = "") -> list[dict]:
    status, _, page = await api.request("GET", f"/api/events?limit=100{query}")
    assert status == 200, page
    return page["data"]


async def test_monitor_changes_over_the_api_are_events_newest_first(api):
    status, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "interval_seconds": 3600})
    assert status == 201
    for path in ("pause", "resume"):
        assert (await api.request("POST", f"/api/monitors/{monitor['id']}/{path}"))[0] == 200
    assert (await api.request("PATCH", f"/api/monitors/{monitor['id']}", json={"name": "renamed"}))[0] == 200
    assert (await api.request("DELETE", f"/api/monitors/{monitor['id']}"))[0] == 204
    listed = [event for event in await events(api, "&type=monitor.*") if event["type"] != "monitor.down"]
    assert [event["type"] for event in listed] == [
        "monitor.deleted", "monitor.updated", "monitor.unpaused", "monitor.paused", "monitor.created"]
    first = listed[-1]
    assert first["object"] == "event" and first["id"].startswith("evt_")
    assert first["data"]["object"]["id"] == monitor["id"]
    assert first["data"]["object"]["url"] == monitor["url"]
    assert listed[1]["data"]["object"]["name"] == "renamed"
    status, _, one = await api.request("GET", f"/api/events/{first['id']}")
    assert (status, one) == (200, first)


async def drained(runner) -> None:
    while runner.in_flight:
        await asyncio.sleep(0.005)


async def test_a_state_change_and_its_event_are_committed_together(start_api):
    clock = FakeClock()
    api = await start_api(f"""
        monitors:
          - {{key: dead, type: tcp, url: "tcp://127.0.0.1:{closed_port()}", interval: 1s, timeout: 1s,
             confirmation: {{failures: 1}}}}
        heartbeats:
          - {{key: job, period: 1h, token: {TOKEN}}}
    """, clock=clock)
    daemon = api.daemon
    for _ in range(30):  # bounded: the probe of a closed port fails at once
        clock.advance(1)
        daemon.runner.fire(clock.monotonic())
        # the probe's I/O takes real loop turns: the next jump of the fake clock would pass
        # its deadline (on the runner's wheel) while the refused connect is still in flight
        await asyncio.wait_for(drained(daemon.runner), 5)
        await daemon.writer.flush()
        if daemon.monitors.monitors["dead"].state.state == "down":
            break
    await daemon.writer.flush()
    async with api.session.get(f"{api.url}/ping/{TOKEN}/fail") as response:
        assert response.status == 200
    down = await events(api, "&type=monitor.down")
    assert len(down) == 1
    data = down[0]["data"]
    # data.object is the monitor's one public shape, as GET /api/monitors/{id} answers it
    status, _, monitor = await api.request("GET", f"/api/monitors/{data['object']['id']}")
    assert status == 200 and data["object"] == monitor
    assert (data["object"]["key"], data["object"]["current_state"]) == ("dead", "down")
    assert data["previous_attributes"] == {"current_state": "pending"}
    assert data["check"]["id"].startswith("chk_") and data["check"]["error_kind"] == "connection_error"
    assert data["check"]["state"] == "down" and data["check"]["monitor_id"] == monitor["id"]
    beat = await events(api, "&type=heartbeat.down")
    assert [event["data"]["reason"] for event in beat] == ["fail"]
    assert [event["data"]["object"]["current_state"] for event in beat] == ["down"]
    with sqlite3.connect(api.db_path) as conn:
        changes = conn.execute("SELECT count(*) FROM state_changes WHERE to_state = 'down'").fetchone()[0]
        flips = conn.execute("SELECT count(*) FROM heartbeat_flips WHERE to_state = 'down'").fetchone()[0]
    assert (changes, flips) == (1, 1)


async def test_filters_and_permissions(api):
    assert (await api.request("GET", "/api/events?type=monitor.exploded"))[2]["error"]["param"] == "type"
    assert (await api.request("GET", "/api/events?type=nothing.*"))[2]["error"]["param"] == "type"
    assert (await api.request("GET", "/api/events?created_gte=5&created_lte=4"))[2]["error"]["param"] == \
        "created_lte"
    assert (await api.request("GET", "/api/events/evt_nope"))[0] == 404
    reader = await api.make_token("monitors:read")
    status, _, body = await api.request("GET", "/api/events", token=reader)
    assert (status, body["error"]["type"]) == (403, "permission_error")
    allowed = await api.make_token("events:read")
    assert (await api.request("GET", "/api/events", token=allowed))[0] == 200


async def test_heartbeats_gone_from_the_file_or_the_api_resolve_their_incidents(start_api):
    api = await start_api(f"""
        heartbeats:
          - {{key: job, period: 1h, token: {TOKEN}}}
    """)
    async with api.session.get(f"{api.url}/ping/{TOKEN}/fail") as response:
        assert response.status == 200
    status, _, made = await api.request("POST", "/api/heartbeats", json={"name": "api job", "period_seconds": 60})
    assert status == 201
    async with api.session.get(f"{made['ping_url']}/fail") as response:
        assert response.status == 200
    status, _, listed = await api.request("GET", "/api/incidents?status=open")
    assert status == 200 and len(listed["data"]) == 2

    text = api.config_path.read_text()
    api.config_path.write_text(text[:text.index("heartbeats:")])
    assert await api.daemon.reload()
    assert (await api.request("DELETE", f"/api/heartbeats/{made['id']}"))[0] == 204
    await api.daemon.writer.flush()
    deleted = await events(api, "&type=heartbeat.deleted")
    assert sorted(event["data"]["object"]["name"] for event in deleted) == ["api job", "job"]
    status, _, listed = await api.request("GET", "/api/incidents?status=resolved")
    assert len(listed["data"]) == 2
