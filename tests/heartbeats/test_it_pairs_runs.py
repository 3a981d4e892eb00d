"""`?rid=<uuid>` pairs a /start with its finish over HTTP, as Healthchecks
does: the finish with the same rid ends its run and carries its duration; a
finish without a rid ends the run (whatever rid its start had); a failure
with another rid ends it too; a success with another rid counts as a success
but ends nothing. Overlapping runs pair by rid. The daemon runs on a
FakeClock, so durations are exact."""

from __future__ import annotations

import pytest

from pingkit import BACKUP, PING_KEY
from upstatd.clock import FakeClock

RID_A = "11111111-2222-4333-8444-555555555555"
RID_B = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


@pytest.fixture
async def paired(start_pinger):
    clock = FakeClock()
    pinger = await start_pinger(clock=clock)
    pinger.clock = clock
    return pinger


async def ping_ok(pinger, path: str, method: str = "GET") -> None:
    status, _, text = await pinger.ping(method, path)
    assert (status, text) == (200, "" if method == "HEAD" else "OK"), (path, text)


def run_state(pinger, key: str = "backup") -> tuple:
    row = pinger.heartbeat(key)
    return row["current_state"], row["started_at"], row["start_rid"], row["last_duration_ms"]


def last(pinger, key: str = "backup") -> tuple:
    row = pinger.pings(key)[-1]
    return row["kind"], row["rid"], row["duration_ms"]


@pytest.mark.parametrize("method", ["HEAD", "GET", "POST"])
async def test_a_finish_with_the_start_rid_ends_the_run_with_its_duration(paired, method):
    started_ms = round(paired.clock.time() * 1000)
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_A}", method)
    assert last(paired) == ("start", RID_A, None)
    assert run_state(paired) == ("new", started_ms, RID_A, None)
    paired.clock.advance(7.25)
    await ping_ok(paired, f"{BACKUP}?rid={RID_A}", method)
    assert last(paired) == ("success", RID_A, 7250)
    assert run_state(paired) == ("up", None, None, 7250)
    assert [row["duration_ms"] for row in paired.pings("backup")] == [None, 7250]


@pytest.mark.parametrize("finish, kind, state", [
    ("/fail", "fail", "down"), ("/0", "success", "up"), ("/3", "fail", "down"), ("", "success", "up")])
async def test_every_finish_pairs(paired, finish, kind, state):
    await ping_ok(paired, f"{PING_KEY}/backup/start?rid={RID_B}")
    paired.clock.advance(61.5)
    await ping_ok(paired, f"{PING_KEY}/backup{finish}?rid={RID_B}", "POST")
    assert last(paired) == (kind, RID_B, 61500)
    assert run_state(paired) == (state, None, None, 61500)


async def test_a_success_with_another_rid_ends_nothing_a_failure_ends_the_run(paired):
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_A}")
    started_ms = paired.heartbeat("backup")["started_at"]
    paired.clock.advance(5)
    await ping_ok(paired, f"{BACKUP}?rid={RID_B}")
    assert last(paired) == ("success", RID_B, None)
    # a success all the same, but the run of RID_A goes on
    assert run_state(paired) == ("up", started_ms, RID_A, None)
    paired.clock.advance(5)
    await ping_ok(paired, f"{BACKUP}/fail?rid={RID_B}")
    assert last(paired) == ("fail", RID_B, None)
    assert run_state(paired) == ("down", None, None, None)   # Healthchecks: any failure ends the run
    assert paired.heartbeat("backup")["runs"] is None
    paired.clock.advance(2.5)
    await ping_ok(paired, f"{BACKUP}/0?rid={RID_A}")   # its own finish: no run left to pair with
    assert last(paired) == ("success", RID_A, None)
    assert run_state(paired) == ("up", None, None, None)


async def down_at(pinger, key: str = "backup") -> tuple[str, int | None]:
    heartbeat_id = pinger.heartbeat(key)["id"]
    status, _, body = await pinger.api.request("GET", f"/api/heartbeats/{heartbeat_id}/status")
    assert status == 200, body
    return body["started"], body["down_at"]


async def test_a_finish_without_a_rid_ends_the_run_started_with_one(paired):
    """Healthchecks' rule: `/start?rid=R` then a plain success is a finished run,
    not an overrun one grace (10 min) later."""
    started = paired.clock.time()
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_A}")
    paired.clock.advance(3)
    await ping_ok(paired, BACKUP)
    assert last(paired) == ("success", None, 3000)
    assert run_state(paired) == ("up", None, None, 3000)
    # the next alarm is the missed slot (1 h + 10 min after the success), not start + 10 min
    assert await down_at(paired) == (False, int(started + 3 + 3600 + 600))


async def test_a_failure_without_a_rid_ends_the_run_started_with_one(paired):
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_A}")
    paired.clock.advance(4)
    await ping_ok(paired, f"{BACKUP}/fail")
    assert last(paired) == ("fail", None, 4000)
    assert run_state(paired) == ("down", None, None, 4000)
    assert await down_at(paired) == (False, None)


async def test_a_finish_with_a_rid_does_not_end_a_run_that_had_none(paired):
    await ping_ok(paired, f"{BACKUP}/start")
    paired.clock.advance(3)
    await ping_ok(paired, f"{BACKUP}?rid={RID_A}")
    assert last(paired) == ("success", RID_A, None)
    state, started_at, start_rid, duration = run_state(paired)
    assert (state, start_rid, duration) == ("up", None, None) and started_at is not None
    paired.clock.advance(1)
    await ping_ok(paired, BACKUP)   # without a rid, like its start: 4 s
    assert last(paired) == ("success", None, 4000)
    assert run_state(paired) == ("up", None, None, 4000)


async def test_without_rids_a_start_and_the_next_finish_pair(paired):
    await ping_ok(paired, f"{PING_KEY}/nightly-reports/start", "HEAD")
    paired.clock.advance(0.125)
    await ping_ok(paired, f"{PING_KEY}/nightly-reports/1", "HEAD")
    assert last(paired, "reports") == ("fail", None, 125)
    assert run_state(paired, "reports") == ("down", None, None, 125)
    paired.clock.advance(10)
    await ping_ok(paired, f"{PING_KEY}/nightly-reports", "HEAD")  # no run to end: no duration
    assert last(paired, "reports") == ("success", None, None)
    assert run_state(paired, "reports")[3] == 125   # the last run's duration stays


async def test_a_log_ping_with_the_rid_ends_nothing(paired):
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_A}")
    paired.clock.advance(2)
    await ping_ok(paired, f"{BACKUP}/log?rid={RID_A}")
    assert last(paired) == ("log", RID_A, None)
    assert run_state(paired)[2] == RID_A
    paired.clock.advance(2)
    await ping_ok(paired, f"{BACKUP}?rid={RID_A}")
    assert last(paired) == ("success", RID_A, 4000)


async def test_overlapping_runs_pair_by_rid(paired):
    started = paired.clock.time()
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_A}")
    paired.clock.advance(10)
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_B}")
    b_started_ms = round(paired.clock.time() * 1000)
    paired.clock.advance(1)
    await ping_ok(paired, f"{BACKUP}?rid={RID_A}")
    assert last(paired) == ("success", RID_A, 11000)     # A's own duration
    assert run_state(paired) == ("up", b_started_ms, RID_B, 11000)
    assert await down_at(paired) == (True, int(started + 10 + 600))   # B may still overrun
    paired.clock.advance(1)
    await ping_ok(paired, f"{BACKUP}?rid={RID_B}")
    assert last(paired) == ("success", RID_B, 2000)
    assert run_state(paired) == ("up", None, None, 2000)


async def test_an_uppercase_rid_is_the_same_rid(paired):
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_B.upper()}")
    assert last(paired) == ("start", RID_B, None)
    paired.clock.advance(1.5)
    await ping_ok(paired, f"{BACKUP}?rid={RID_B}")
    assert last(paired) == ("success", RID_B, 1500)


async def test_runs_of_two_heartbeats_pair_apart(paired):
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_A}")
    paired.clock.advance(1)
    await ping_ok(paired, f"{PING_KEY}/nightly-reports/start?rid={RID_A}")
    paired.clock.advance(2)
    await ping_ok(paired, f"{PING_KEY}/nightly-reports?rid={RID_A}")
    assert last(paired, "reports") == ("success", RID_A, 2000)
    assert run_state(paired)[2] == RID_A   # backup's run goes on
    paired.clock.advance(3)
    await ping_ok(paired, f"{BACKUP}?rid={RID_A}")
    assert last(paired) == ("success", RID_A, 6000)


async def test_a_bad_rid_is_400_and_changes_nothing(paired):
    await ping_ok(paired, f"{BACKUP}/start?rid={RID_A}")
    before = tuple(paired.heartbeat("backup"))
    for rid in ("", "abc", RID_A[:-1], RID_A + "0", RID_A.replace("-", ""), RID_A[:-1] + "g", "%20" + RID_A,
                "{" + RID_A + "}"):
        for action in ("", "/start", "/fail", "/log", "/0"):
            status, headers, text = await paired.ping("POST", f"{BACKUP}{action}?rid={rid}", data=b"x")
            assert status == 400, (rid, action)
            assert text.startswith("rid must be a UUID like 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278, got '"), text
            assert headers["Cache-Control"] == "no-store"
        status, _, _ = await paired.ping("HEAD", f"{PING_KEY}/backup?rid={rid}")
        assert status == 400
    assert len(paired.pings("backup")) == 1
    assert tuple(paired.heartbeat("backup")) == before
