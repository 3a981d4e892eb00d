"""Pausing a group pauses every member through the member's own pause: each gets
its monitor.paused (heartbeat.paused) event, a paused monitor is really not
probed (a loopback target counts requests), a monitor group's resume_at reaches
every member; resuming probes them again. Members added later are not paused."""

from __future__ import annotations

import asyncio
import time

from loopback import start_web


async def wait_for(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.01)


async def event_types(api, prefix: str) -> list[tuple[str, str]]:
    _, _, page = await api.request("GET", "/api/events?limit=100")
    return [(event["type"], event["data"]["object"]["id"]) for event in page["data"]
            if event["type"].startswith(prefix)]


async def test_it_pauses_and_resumes_every_monitor_of_a_group(api):
    web = await start_web()
    try:
        _, _, group = await api.request("POST", "/api/monitor-groups", json={"name": "Web"})
        made = [(await api.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url(f"/ok?n={n}"), "interval_seconds": 1, "group_id": group["id"]}))[2]
            for n in range(2)]
        await wait_for(lambda: len(web.seen) >= 4)

        resume_at = int(time.time()) + 3600
        status, _, paused = await api.request("POST", f"/api/monitor-groups/{group['id']}/pause",
                                              json={"resume_at": resume_at})
        assert status == 200, paused
        assert (paused["status"], paused["paused_count"], paused["member_count"]) == ("paused", 2, 2)
        for monitor in made:
            _, _, fetched = await api.request("GET", f"/api/monitors/{monitor['id']}")
            assert (fetched["status"], fetched["resume_at"]) == ("paused", resume_at)
        assert sorted(await event_types(api, "monitor.paused")) == sorted(("monitor.paused", m["id"]) for m in made)
        await asyncio.sleep(0.2)  # a probe already on its way may still arrive
        seen = len(web.seen)
        await asyncio.sleep(1.5)
        assert len(web.seen) == seen

        _, _, late = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url("/ok?late"), "interval_seconds": 3600, "group_id": group["id"]})
        assert late["status"] == "active"
        _, _, fetched = await api.request("GET", f"/api/monitor-groups/{group['id']}")
        assert (fetched["status"], fetched["paused_count"], fetched["member_count"]) == ("active", 2, 3)

        status, _, resumed = await api.request("POST", f"/api/monitor-groups/{group['id']}/resume")
        assert (status, resumed["status"], resumed["paused_count"]) == (200, "active", 0)
        assert sorted(await event_types(api, "monitor.unpaused")) == sorted(
            ("monitor.unpaused", m["id"]) for m in made)
        await wait_for(lambda: len(web.seen) >= seen + 2)
    finally:
        await web.close()


async def test_it_pauses_and_resumes_every_heartbeat_of_a_group(api):
    _, _, group = await api.request("POST", "/api/heartbeat-groups", json={"name": "Nightly"})
    made = [(await api.request("POST", "/api/heartbeats", json={
        "name": f"job {n}", "period_seconds": 3600, "group_id": group["id"]}))[2] for n in range(2)]
    status, _, paused = await api.request("POST", f"/api/heartbeat-groups/{group['id']}/pause")
    assert (status, paused["status"], paused["paused_count"]) == (200, "paused", 2)
    assert sorted(await event_types(api, "heartbeat.paused")) == sorted(("heartbeat.paused", h["id"]) for h in made)
    for beat in made:
        assert api.daemon.heartbeats.by_id[beat["id"]].paused
    # pausing again changes nothing: no more events
    await api.request("POST", f"/api/heartbeat-groups/{group['id']}/pause")
    assert len(await event_types(api, "heartbeat.paused")) == 2

    status, _, resumed = await api.request("POST", f"/api/heartbeat-groups/{group['id']}/resume")
    assert (status, resumed["status"], resumed["current_state"]) == (200, "active", "new")
    for beat in made:
        assert not api.daemon.heartbeats.by_id[beat["id"]].paused
    status, _, answer = await api.request("POST", f"/api/heartbeat-groups/{group['id']}/pause",
                                          json={"resume_at": int(time.time()) + 60})
    assert (status, answer["error"]["param"]) == (400, "resume_at"), answer
