"""GET /api/heartbeats/{id}/status on the daemon's FakeClock: next_expected_at,
late_at and down_at are exact for periods, cron and OnCalendar schedules in a
time zone, a run in progress holds `late` back and arms the overrun, and the
flips that time brings land at the deadline's own second (the scheduler's
10 ms tick is waited for, never slept through)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from upstatd.clock import FakeClock
from upstatd.ids import seq_id

NOW = 1_800_000_000  # Friday 2027-01-15 08:00:00 UTC: 10:00 in Riga, 03:00 in New York
RID = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"


def at(zone: str, *fields: int) -> int:
    """A wall-clock time in a zone, as Unix seconds (by zoneinfo, not by the code under test)."""
    return int(datetime(*fields, tzinfo=ZoneInfo(zone)).timestamp())


async def ping(api, url: str, method: str = "GET") -> tuple[int, str]:
    async with api.session.request(method, url) as response:
        return response.status, await response.text()


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def make(api, slug: str, **fields) -> tuple[dict, str]:
    status, _, made = await api.request("POST", "/api/heartbeats", json={"slug": slug, **fields})
    assert status == 201, made
    return made, f"/api/heartbeats/{made['id']}/status"


async def status_of(api, path: str) -> dict:
    status, _, body = await api.request("GET", path)
    assert status == 200, body
    return body


async def wait_for_state(api, path: str, state: str, timeout: float = 3.0) -> dict:
    """The status once the daemon has flipped the heartbeat to `state` and stored it."""
    deadline = time.monotonic() + timeout
    while True:
        await api.daemon.writer.flush()
        body = await status_of(api, path)
        if body["current_state"] == state:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"still {body['current_state']}, not {state}, after {timeout} s")
        await asyncio.sleep(0.01)


def deadlines(body: dict) -> tuple:
    return body["current_state"], body["since"], body["next_expected_at"], body["late_at"], body["down_at"]


async def test_a_new_heartbeat_has_no_deadline(api):
    made, path = await make(api, "job", period_seconds=60)
    assert await status_of(api, path) == {
        "object": "heartbeat_status", "heartbeat_id": made["id"], "status": "active", "current_state": "new",
        "since": NOW, "started": False, "started_at": None, "last_ping": None, "next_expected_at": None,
        "late_at": None, "down_at": None, "last_duration_seconds": None}
    status, _, body = await api.request("GET", "/api/heartbeats/hbt_nothing/status")
    assert (status, body["error"]["code"], body["error"]["param"]) == (404, "resource_missing", "id")


async def test_it_goes_late_then_down_at_the_exact_seconds(api):
    made, path = await make(api, "job", period_seconds=3600, grace_seconds=600)
    api.clock.advance(10)
    assert await ping(api, made["ping_url"]) == (200, "OK")
    body = await status_of(api, path)
    seq = (await api.daemon.read_db.execute_fetchall("SELECT max(seq) FROM pings"))[0][0]
    assert body["last_ping"] == {
        "id": seq_id("png", seq), "object": "ping", "heartbeat_id": made["id"], "n": 1, "created_at": NOW + 10,
        "created_at_ms": (NOW + 10) * 1000,
        "kind": "success", "exit_status": None, "rid": None, "duration_seconds": None, "method": "GET",
        "remote_addr": "127.0.0.1", "user_agent": body["last_ping"]["user_agent"], "body_size": 0, "scheme": "http"}
    expected = NOW + 10 + 3600
    assert deadlines(body) == ("up", NOW + 10, expected, expected, expected + 600)
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{made['id']}")
    assert (fetched["next_expected_at"], fetched["last_ping_at"]) == (expected, NOW + 10)

    api.clock.advance(3600 + 5)  # five seconds past the slot: late, since the slot itself
    body = await wait_for_state(api, path, "late")
    assert deadlines(body) == ("late", expected, expected, None, expected + 600)
    api.clock.advance(1000)      # far past the grace: down since slot + grace, nothing more to come
    body = await wait_for_state(api, path, "down")
    assert deadlines(body) == ("down", expected + 600, None, None, None)

    # A ping brings it back up with the next slot from that ping.
    assert await ping(api, made["ping_url"]) == (200, "OK")
    now = NOW + 10 + 3605 + 1000
    assert deadlines(await status_of(api, path)) == ("up", now, now + 3600, now + 3600, now + 4200)


async def test_it_computes_cron_and_oncalendar_slots_in_their_time_zone(api):
    riga, riga_path = await make(api, "riga", cron="30 2 * * *", timezone="Europe/Riga", grace_seconds=900)
    new_york, new_york_path = await make(api, "new-york", oncalendar="Mon..Fri 09:00", timezone="America/New_York",
                                         grace_seconds=60)
    tokyo, tokyo_path = await make(api, "tokyo", cron="0 9 * * 1", timezone="Asia/Tokyo", grace_seconds=0)
    for made in (riga, new_york, tokyo):
        assert await ping(api, made["ping_url"]) == (200, "OK")

    slot = at("Europe/Riga", 2027, 1, 16, 2, 30)       # 02:30 tomorrow in Riga: 00:30 UTC
    assert slot == NOW + 16 * 3600 + 1800
    assert deadlines(await status_of(api, riga_path)) == ("up", NOW, slot, slot, slot + 900)
    slot_ny = at("America/New_York", 2027, 1, 15, 9, 0)  # 09:00 today in New York
    assert deadlines(await status_of(api, new_york_path)) == ("up", NOW, slot_ny, slot_ny, slot_ny + 60)
    slot_tokyo = at("Asia/Tokyo", 2027, 1, 18, 9, 0)      # Monday 09:00 in Tokyo
    # no grace: straight to down at the slot, never late
    assert deadlines(await status_of(api, tokyo_path)) == ("up", NOW, slot_tokyo, None, slot_tokyo)

    # A cron slot stays the next one while pings come before it.
    api.clock.advance(3600)
    assert await ping(api, riga["ping_url"]) == (200, "OK")
    assert deadlines(await status_of(api, riga_path)) == ("up", NOW, slot, slot, slot + 900)

    # A ping after today's 09:00 in New York (a Friday) expects Monday's.
    api.clock.advance(6 * 3600)                         # 10:00 in New York: late since 09:00
    body = await wait_for_state(api, new_york_path, "down")  # grace 60 s long gone: down at 09:01
    assert deadlines(body) == ("down", slot_ny + 60, None, None, None)
    assert await ping(api, new_york["ping_url"]) == (200, "OK")
    monday = at("America/New_York", 2027, 1, 18, 9, 0)
    assert deadlines(await status_of(api, new_york_path)) == ("up", NOW + 7 * 3600, monday, monday, monday + 60)
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{new_york['id']}")
    assert fetched["next_expected_at"] == monday

    # A changed time zone moves the slot at once.
    status, _, patched = await api.request("PATCH", f"/api/heartbeats/{riga['id']}", json={"timezone": "UTC"})
    slot_utc = at("UTC", 2027, 1, 16, 2, 30)
    assert (status, patched["next_expected_at"]) == (200, slot_utc)
    assert deadlines(await status_of(api, riga_path)) == ("up", NOW, slot_utc, slot_utc, slot_utc + 900)


async def test_a_run_in_progress_holds_back_late_and_can_overrun(api):
    made, path = await make(api, "job", period_seconds=3600, grace_seconds=600)
    assert await ping(api, made["ping_url"]) == (200, "OK")
    api.clock.advance(3300)
    assert await ping(api, made["ping_url"] + f"/start?rid={RID}") == (200, "OK")
    body = await status_of(api, path)
    # Due at NOW + 3600; the run overruns at NOW + 3300 + 600 = NOW + 3900, before slot + grace.
    assert (body["started"], body["started_at"], body["last_ping"]["kind"]) == (True, NOW + 3300, "start")
    assert deadlines(body) == ("up", NOW, NOW + 3600, None, NOW + 3900)

    api.clock.advance(400)       # past the slot while running: no `late`
    await api.daemon.writer.flush()
    assert deadlines(await status_of(api, path)) == ("up", NOW, NOW + 3600, None, NOW + 3900)
    api.clock.advance(30.5)
    assert await ping(api, made["ping_url"] + f"/0?rid={RID}") == (200, "OK")
    body = await status_of(api, path)
    finished = NOW + 3730.5
    assert (body["started"], body["started_at"], body["last_duration_seconds"]) == (False, None, 430.5)
    assert (body["last_ping"]["duration_seconds"], body["last_ping"]["exit_status"]) == (430.5, 0)
    assert deadlines(body) == ("up", NOW, int(finished + 3600), int(finished + 3600), int(finished + 4200))

    # A run that never finishes: down at start + grace ("overrun"), whatever the slot says.
    api.clock.advance(100)
    assert await ping(api, made["ping_url"] + "/start") == (200, "OK")
    started = int(finished + 100)
    assert deadlines(await status_of(api, path))[3:] == (None, started + 600)
    api.clock.advance(601)
    body = await wait_for_state(api, path, "down")
    assert deadlines(body) == ("down", started + 600, None, None, None)
    assert (body["started"], body["last_duration_seconds"]) == (True, 430.5)
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{made['id']}")
    assert (fetched["started"], fetched["last_duration_seconds"]) == (True, 430.5)


async def test_a_start_before_the_first_ping_arms_only_the_overrun(api):
    made, path = await make(api, "job", cron="0 3 * * *", grace_seconds=120)
    assert await ping(api, made["ping_url"] + "/start") == (200, "OK")
    body = await status_of(api, path)
    assert (body["started"], body["started_at"]) == (True, NOW)
    assert deadlines(body) == ("new", NOW, None, None, NOW + 120)
    api.clock.advance(121)
    body = await wait_for_state(api, path, "down")
    assert deadlines(body) == ("down", NOW + 120, None, None, None)


async def test_a_failure_or_a_pause_has_no_deadline(api):
    failed, failed_path = await make(api, "failed", period_seconds=60)
    assert await ping(api, failed["ping_url"]) == (200, "OK")
    assert await ping(api, failed["ping_url"] + "/7") == (200, "OK")
    body = await status_of(api, failed_path)
    assert deadlines(body) == ("down", NOW, None, None, None)
    assert (body["last_ping"]["kind"], body["last_ping"]["exit_status"], body["last_ping"]["n"]) == ("fail", 7, 2)

    paused, paused_path = await make(api, "paused", period_seconds=60, grace_seconds=30)
    assert await ping(api, paused["ping_url"]) == (200, "OK")
    await api.request("POST", f"/api/heartbeats/{paused['id']}/pause")
    body = await status_of(api, paused_path)
    assert (body["status"], *deadlines(body)) == ("paused", "up", NOW, NOW + 60, None, None)
    api.clock.advance(1000)
    await api.daemon.writer.flush()
    body = await status_of(api, paused_path)
    assert (body["status"], *deadlines(body)) == ("paused", "up", NOW, NOW + 60, None, None)
    status, _, _ = await api.request("POST", f"/api/heartbeats/{paused['id']}/resume")
    assert status == 200
    assert deadlines(await status_of(api, paused_path)) == ("new", NOW + 1000, None, None, None)
