"""Pause and resume of heartbeats over the API, config ones too: a paused
heartbeat has no deadline (its timer is gone, a deadline passing flips
nothing), a resume makes it `new` until its next ping, a ping to a paused
heartbeat resumes it unless `manual_resume` (then it is recorded as
`ignored`), and a config heartbeat's pause survives a reload. Time is the
daemon's FakeClock; the timer wheel is read, not slept on."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from upstatd.clock import FakeClock

NOW = 1_800_000_000
TOKEN = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"


async def wait_for(predicate, timeout: float = 3.0) -> None:
    """Until the daemon's loop has done something (the 10 ms scheduler tick after a clock move)."""
    deadline = time.monotonic() + timeout
    while not (await predicate() if asyncio.iscoroutinefunction(predicate) else predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.01)


async def ping(api, url: str, method: str = "GET") -> tuple[int, str]:
    async with api.session.request(method, url) as response:
        return response.status, await response.text()


def flips(api, heartbeat_id: str) -> list[tuple]:
    with sqlite3.connect(api.db_path) as conn:
        return conn.execute(
            "SELECT f.created_at / 1000, f.from_state, f.to_state, f.reason FROM heartbeat_flips AS f "
            "JOIN heartbeats AS h ON h.seq = f.heartbeat_seq WHERE h.id = ? ORDER BY f.seq",
            (heartbeat_id,)).fetchall()


def timer_of(api, key: str):
    return api.daemon.heartbeats.timers.when(key)


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_it_pauses_and_resumes_a_heartbeat(api):
    made = {}
    for slug in ("paused", "control"):  # the same schedule; only the first is paused
        _, _, made[slug] = await api.request("POST", "/api/heartbeats", json={
            "slug": slug, "period_seconds": 60, "grace_seconds": 30})
        assert await ping(api, made[slug]["ping_url"]) == (200, "OK")
    heartbeat_id = made["paused"]["id"]
    path = f"/api/heartbeats/{heartbeat_id}"
    assert timer_of(api, heartbeat_id) is not None

    api.clock.advance(10)
    status, _, paused = await api.request("POST", f"{path}/pause")
    assert status == 200, paused
    assert (paused["status"], paused["paused_at"], paused["updated_at"], paused["current_state"]) == (
        "paused", NOW + 10, NOW + 10, "up")  # the state is kept
    assert api.daemon.heartbeats.beats[heartbeat_id].paused
    assert timer_of(api, heartbeat_id) is None  # no deadline while paused
    _, _, state = await api.request("GET", f"{path}/status")
    assert (state["status"], state["late_at"], state["down_at"]) == ("paused", None, None)

    # Both deadlines pass: the control heartbeat goes late, then down; the paused one stays up.
    api.clock.advance(100)

    async def control_down() -> bool:
        await api.daemon.writer.flush()
        return (await api.request("GET", f"/api/heartbeats/{made['control']['id']}"))[2]["current_state"] == "down"
    await wait_for(control_down)
    _, _, fetched = await api.request("GET", path)
    assert (fetched["status"], fetched["current_state"]) == ("paused", "up")
    assert flips(api, heartbeat_id) == [(NOW, "new", "up", "ping")]

    # Pausing again changes nothing (paused_at stays); the answer is the heartbeat.
    status, _, again = await api.request("POST", f"{path}/pause")
    assert (status, again["status"], again["paused_at"]) == (200, "paused", NOW + 10)

    status, _, resumed = await api.request("POST", f"{path}/resume")
    assert status == 200, resumed
    assert (resumed["status"], resumed["paused_at"], resumed["current_state"], resumed["next_expected_at"],
            resumed["updated_at"]) == ("active", None, "new", None, NOW + 110)
    beat = api.daemon.heartbeats.beats[heartbeat_id]
    assert (beat.paused, beat.state.state) == (False, "new")
    assert timer_of(api, heartbeat_id) is None  # `new`: no deadline until a ping
    _, _, state = await api.request("GET", f"{path}/status")
    assert (state["current_state"], state["since"], state["late_at"], state["down_at"]) == (
        "new", NOW + 110, None, None)
    await api.daemon.writer.flush()
    assert flips(api, heartbeat_id)[-1] == (NOW + 110, "up", "new", "resumed")

    # Resuming an active heartbeat is a no-op.
    status, _, still = await api.request("POST", f"{path}/resume")
    assert (status, still) == (200, resumed)
    assert len(flips(api, heartbeat_id)) == 2

    # The next ping starts the clock again.
    api.clock.advance(5)
    assert await ping(api, made["paused"]["ping_url"]) == (200, "OK")
    _, _, fetched = await api.request("GET", path)
    assert (fetched["current_state"], fetched["next_expected_at"]) == ("up", NOW + 115 + 60)
    assert timer_of(api, heartbeat_id) is not None


async def test_a_ping_resumes_a_paused_heartbeat_unless_manual_resume(api):
    _, _, auto = await api.request("POST", "/api/heartbeats", json={"slug": "auto", "period_seconds": 60})
    _, _, manual = await api.request("POST", "/api/heartbeats", json={
        "slug": "manual", "period_seconds": 60, "manual_resume": True})
    for made in (auto, manual):
        status, _, paused = await api.request("POST", f"/api/heartbeats/{made['id']}/pause")
        assert (status, paused["status"]) == (200, "paused")
    api.clock.advance(10)

    # A log ping is recorded and resumes nothing.
    assert await ping(api, auto["ping_url"] + "/log") == (200, "OK")
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{auto['id']}")
    assert (fetched["status"], fetched["current_state"]) == ("paused", "new")

    # Any other ping resumes it: it is up from that ping.
    assert await ping(api, auto["ping_url"]) == (200, "OK")
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{auto['id']}")
    assert (fetched["status"], fetched["paused_at"], fetched["current_state"], fetched["last_ping_at"],
            fetched["next_expected_at"]) == ("active", None, "up", NOW + 10, NOW + 70)
    assert not api.daemon.heartbeats.beats[auto["id"]].paused
    assert timer_of(api, auto["id"]) is not None
    _, _, pings = await api.request("GET", f"/api/heartbeats/{auto['id']}/pings")
    assert [item["kind"] for item in pings["data"]] == ["success", "log"]

    # manual_resume: the ping answers 200 (the job is not to blame) but is ignored.
    for suffix in ("", "/start", "/fail", "/0"):
        assert await ping(api, manual["ping_url"] + suffix) == (200, "OK")
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{manual['id']}")
    assert (fetched["status"], fetched["paused_at"], fetched["current_state"], fetched["last_ping_at"],
            fetched["started"]) == ("paused", NOW, "new", None, False)
    _, _, pings = await api.request("GET", f"/api/heartbeats/{manual['id']}/pings")
    assert [(item["n"], item["kind"]) for item in pings["data"]] == [
        (4, "ignored"), (3, "ignored"), (2, "ignored"), (1, "ignored")]
    assert timer_of(api, manual["id"]) is None
    # ... until it is resumed over the API; then its pings count again.
    status, _, resumed = await api.request("POST", f"/api/heartbeats/{manual['id']}/resume")
    assert (status, resumed["status"], resumed["current_state"]) == (200, "active", "new")
    assert await ping(api, manual["ping_url"]) == (200, "OK")
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{manual['id']}")
    assert (fetched["current_state"], fetched["last_ping_at"]) == ("up", NOW + 10)


async def test_a_paused_heartbeat_that_was_down_is_new_after_resume(api):
    _, _, made = await api.request("POST", "/api/heartbeats", json={"slug": "job", "period_seconds": 60})
    path = f"/api/heartbeats/{made['id']}"
    assert await ping(api, made["ping_url"] + "/start") == (200, "OK")
    assert await ping(api, made["ping_url"] + "/fail") == (200, "OK")
    assert await ping(api, made["ping_url"] + "/start") == (200, "OK")  # a run in progress
    _, _, fetched = await api.request("GET", path)
    assert (fetched["current_state"], fetched["started"]) == ("down", True)
    await api.request("POST", f"{path}/pause")
    api.clock.advance(7200)
    status, _, resumed = await api.request("POST", f"{path}/resume")
    assert (status, resumed["current_state"], resumed["started"], resumed["status"]) == (
        200, "new", False, "active")  # the run is forgotten too: no overrun after a resume
    assert timer_of(api, made["id"]) is None
    _, _, state = await api.request("GET", f"{path}/status")
    assert (state["current_state"], state["since"], state["started_at"], state["down_at"]) == (
        "new", NOW + 7200, None, None)


async def test_it_pauses_a_config_heartbeat_and_keeps_the_pause_across_a_reload(start_api):
    api = await start_api(f"""
        heartbeats:
          - {{key: nightly, period: 1h, grace: 10m, token: {TOKEN}}}
        """, clock=FakeClock(wall=NOW))
    _, _, listed = await api.request("GET", "/api/heartbeats")
    (nightly,) = listed["data"]
    path = f"/api/heartbeats/{nightly['id']}"
    assert await ping(api, nightly["ping_url"]) == (200, "OK")
    status, _, paused = await api.request("POST", f"{path}/pause")
    assert (status, paused["status"], paused["managed_by"], paused["current_state"]) == (
        200, "paused", "config", "up")
    assert timer_of(api, "nightly") is None
    status, _, answer = await api.request("PATCH", path, json={"grace_seconds": 60})
    assert (status, answer["error"]["code"]) == (409, "managed_by_config")

    # Changed in the file (grace) and reloaded: the pause stays, the change is taken.
    api.config_path.write_text(api.config_path.read_text().replace("grace: 10m", "grace: 20m"))
    assert await api.daemon.reload()
    beat = api.daemon.heartbeats.beats["nightly"]
    assert (beat.paused, beat.spec.grace) == (True, 1200)
    assert timer_of(api, "nightly") is None
    _, _, fetched = await api.request("GET", path)
    assert (fetched["status"], fetched["paused_at"], fetched["grace_seconds"], fetched["current_state"]) == (
        "paused", NOW, 1200, "up")

    status, _, resumed = await api.request("POST", f"{path}/resume")
    assert (status, resumed["status"], resumed["current_state"], resumed["paused_at"]) == (
        200, "active", "new", None)
    assert not api.daemon.heartbeats.beats["nightly"].paused
    assert await ping(api, nightly["ping_url"]) == (200, "OK")
    _, _, state = await api.request("GET", f"{path}/status")
    assert (state["current_state"], state["late_at"], state["down_at"]) == ("up", NOW + 3600, NOW + 3600 + 1200)


async def test_it_refuses_parameters_and_unknown_heartbeats(api):
    _, _, made = await api.request("POST", "/api/heartbeats", json={"slug": "job", "period_seconds": 60})
    path = f"/api/heartbeats/{made['id']}"
    for action in ("pause", "resume"):
        status, _, answer = await api.request("POST", f"{path}/{action}", json={"resume_at": NOW + 60})
        assert (status, answer["error"]["param"]) == (400, "resume_at"), answer
        status, _, answer = await api.request("POST", f"/api/heartbeats/hbt_nothing/{action}")
        assert (status, answer["error"]["code"], answer["error"]["param"]) == (404, "resource_missing", "id")
        status, _, answer = await api.request("GET", f"{path}/{action}")
        assert status == 405, answer
    _, _, fetched = await api.request("GET", path)
    assert fetched["status"] == "active"
