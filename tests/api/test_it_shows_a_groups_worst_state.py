"""A group's current_state is the worst of its active members' states, as their
probes and pings leave them: a monitor that goes down makes its group down; once
that monitor is paused the group shows the rest. A heartbeat pinged makes a
group of new heartbeats up."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from loopback import closed_port, start_web


async def wait_for_state(api, path: str, state: str, timeout: float = 4.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        _, _, group = await api.request("GET", path)
        if group["current_state"] == state:
            return group
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} is {group['current_state']}, not {state}, after {timeout} s")
        await asyncio.sleep(0.05)


async def test_a_monitor_group_is_as_bad_as_its_worst_active_member(api):
    web = await start_web()
    try:
        _, _, group = await api.request("POST", "/api/monitor-groups", json={"name": "Shop"})
        path = f"/api/monitor-groups/{group['id']}"
        quick = {"interval_seconds": 1, "confirmation": {"failures": 1}, "group_id": group["id"]}
        await api.request("POST", "/api/monitors", json={"type": "http", "url": web.url("/ok"), **quick})
        await wait_for_state(api, path, "up")
        _, _, broken = await api.request("POST", "/api/monitors", json={
            "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", **quick})
        down = await wait_for_state(api, path, "down")
        assert down["states"] == {"up": 1, "down": 1}

        await api.request("POST", f"/api/monitors/{broken['id']}/pause")
        back = await wait_for_state(api, path, "up")
        assert (back["states"], back["paused_count"], back["status"]) == ({"up": 1}, 1, "active")
    finally:
        await web.close()


async def test_a_heartbeat_group_is_up_once_a_member_is_pinged(api):
    _, _, group = await api.request("POST", "/api/heartbeat-groups", json={"name": "Jobs"})
    path = f"/api/heartbeat-groups/{group['id']}"
    beats = [(await api.request("POST", "/api/heartbeats", json={
        "name": f"job {n}", "period_seconds": 3600, "group_id": group["id"]}))[2] for n in range(2)]
    await wait_for_state(api, path, "new")
    async with aiohttp.ClientSession() as session:
        async with session.post(beats[0]["ping_url"]) as answer:
            assert answer.status == 200
    pinged = await wait_for_state(api, path, "up")
    assert pinged["states"] == {"up": 1, "new": 1}
