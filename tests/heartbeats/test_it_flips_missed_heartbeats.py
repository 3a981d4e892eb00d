"""The HeartbeatService on a fake clock: deadlines sit in the scheduler's timer
wheel (a real Runner, fired by hand after each clock.advance instead of running
its loop), a missed one flips late then down at its own time, a restart catches
up on the deadlines that passed while the daemon was stopped (once each), and
pings to paused or POST-only heartbeats are recorded as `ignored`.

Rows come from upstatd.store.heartbeats.reconcile, as at the daemon's start;
what lands in SQLite is read after writer.flush().
"""

from __future__ import annotations

import sqlite3

import pytest

from wiring import outbox
from upstatd.clock import FakeClock
from upstatd.heartbeats.service import HeartbeatService
from upstatd.scheduler.runner import Runner
from upstatd.store import heartbeats as store

NOW = 1_700_000_000.0   # the wall clock at monotonic START
START = 1000.0
TICK = 0.01             # the Runner's wheel tick
HOUR = 3600.0
DAY = 86400.0
GRACE = 600.0

YAML = """\
heartbeats:
  - {key: backup, period: 1h, grace: 10m}
  - {key: postonly, period: 1h, grace: 10m, methods: post}
  - {key: manual, period: 1h, grace: 10m, manual_resume: true}
  - {key: auto, period: 1h, grace: 10m}
"""


class Daemon:
    """What the daemon wires at start: a Runner, a HeartbeatService with its
    heartbeat.deadline timers on it, the YAML reconciled into rows, and the service applied."""

    def __init__(self, clock: FakeClock, writer, path: str) -> None:
        self.clock, self.writer, self.path = clock, writer, path
        self.runner = Runner(clock)
        self.service = HeartbeatService(clock, self.runner, writer, *outbox(clock, writer))

    async def start(self, config) -> None:
        stored = await self.writer.run(lambda conn: store.reconcile(conn, config.heartbeats, self.clock.time()))
        self.service.apply(config.heartbeats, stored)

    def tick(self, seconds: float) -> int:
        """Advance the clock and fire what the wheel has due; returns how many timers fired."""
        self.clock.advance(seconds)
        return self.runner.fire(self.clock.monotonic())

    def ping(self, key: str, kind: str = "success", method: str = "GET", rid: str | None = None) -> str:
        return self.service.ping(self.service.beats[key], kind, method, rid=rid)

    def state(self, key: str) -> str:
        return self.service.beats[key].state.state

    def timer(self, key: str) -> float | None:
        """The wall time the heartbeat's timer is set for, or None."""
        when = self.service.timers.when(key)
        return None if when is None else when - self.clock.monotonic() + self.clock.time()

    async def flips(self, key: str) -> list[tuple]:
        """(created_at in wall seconds, from, to, reason, ping_n) of the key's heartbeat_flips."""
        await self.writer.flush()
        with sqlite3.connect(self.path) as conn:
            return [(ms / 1000, *rest) for ms, *rest in conn.execute(
                "SELECT f.created_at, f.from_state, f.to_state, f.reason, f.ping_n FROM heartbeat_flips f "
                "JOIN heartbeats h ON h.seq = f.heartbeat_seq WHERE h.key = ? ORDER BY f.seq", (key,))]

    async def pings(self, key: str) -> list[tuple]:
        await self.writer.flush()
        with sqlite3.connect(self.path) as conn:
            return conn.execute(
                "SELECT p.n, p.created_at, p.kind, p.method FROM pings p JOIN heartbeats h "
                "ON h.seq = p.heartbeat_seq WHERE h.key = ? ORDER BY p.n", (key,)).fetchall()

    async def row(self, key: str) -> tuple:
        await self.writer.flush()
        with sqlite3.connect(self.path) as conn:
            return conn.execute(
                "SELECT status, current_state, state_since, last_success_at FROM heartbeats WHERE key = ?",
                (key,)).fetchone()


@pytest.fixture
async def daemon(store, make_config):
    conn, writer, path = store
    started = Daemon(FakeClock(start=START, wall=NOW), writer, path)
    started.config = make_config(YAML)
    await started.start(started.config)
    return started


async def test_a_missed_period_flips_late_then_down_at_the_deadlines(daemon):
    assert daemon.ping("backup") == "success"
    expected = NOW + HOUR
    assert daemon.timer("backup") == pytest.approx(expected)

    daemon.tick(HOUR - TICK / 2)              # half a tick before the slot: not yet
    assert daemon.state("backup") == "up"
    daemon.tick(TICK)                         # half a tick after it: within one tick
    assert daemon.state("backup") == "late"
    assert daemon.service.beats["backup"].state.since == expected
    assert daemon.timer("backup") == pytest.approx(expected + GRACE)

    daemon.tick(GRACE - TICK)                 # the grace ends half a tick from now
    assert daemon.state("backup") == "late"
    daemon.tick(TICK)
    assert daemon.state("backup") == "down"
    assert daemon.timer("backup") is None     # nothing more is due

    assert await daemon.flips("backup") == [
        (NOW, "new", "up", "ping", 1),
        (expected, "up", "late", "deadline", None),
        (expected + GRACE, "late", "down", "missed", None),
    ]
    assert await daemon.row("backup") == ("active", "down", round((expected + GRACE) * 1000), round(NOW * 1000))
    assert daemon.runner.stats.due == 2       # one firing per deadline


async def test_a_ping_in_time_moves_the_deadline(daemon):
    daemon.ping("backup")
    daemon.tick(HOUR - 60)
    daemon.ping("backup")
    assert daemon.timer("backup") == pytest.approx(NOW + 2 * HOUR - 60)
    daemon.tick(61)                           # past the first slot: nothing fires
    assert daemon.state("backup") == "up"
    assert await daemon.flips("backup") == [(NOW, "new", "up", "ping", 1)]


async def test_a_run_that_never_finishes_overruns(daemon):
    daemon.ping("backup")
    daemon.tick(100)
    daemon.ping("backup", "start", rid="5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278")
    assert daemon.timer("backup") == pytest.approx(NOW + 100 + GRACE)
    daemon.tick(GRACE + TICK)
    assert daemon.state("backup") == "down"
    assert (await daemon.flips("backup"))[1:] == [(NOW + 100 + GRACE, "up", "down", "overrun", None)]


async def test_a_restart_catches_up_once_with_the_real_times(daemon):
    daemon.ping("backup")
    expected = NOW + HOUR
    await daemon.writer.flush()
    # The daemon stops (its runner never fires again) and starts three days later.
    daemon.clock.advance(3 * DAY)
    second = Daemon(daemon.clock, daemon.writer, daemon.path)
    await second.start(daemon.config)
    assert second.state("backup") == "down"
    assert second.timer("backup") is None
    flips = [(NOW, "new", "up", "ping", 1),
             (expected, "up", "late", "deadline", None),
             (expected + GRACE, "late", "down", "missed", None)]
    assert await second.flips("backup") == flips
    assert await second.row("backup") == ("active", "down", round((expected + GRACE) * 1000), round(NOW * 1000))

    second.tick(DAY)
    daemon.clock.advance(DAY)
    third = Daemon(daemon.clock, daemon.writer, daemon.path)
    await third.start(daemon.config)
    assert third.state("backup") == "down"
    assert await third.flips("backup") == flips
    # the others were never pinged: new, and no flips for them
    assert {key: third.state(key) for key in ("postonly", "manual", "auto")} == dict.fromkeys(
        ("postonly", "manual", "auto"), "new")
    assert await third.flips("auto") == []


async def test_a_restart_in_grace_only_adds_the_down(daemon):
    daemon.ping("backup")
    daemon.tick(HOUR + 1)
    assert daemon.state("backup") == "late"
    await daemon.writer.flush()
    daemon.clock.advance(DAY)
    second = Daemon(daemon.clock, daemon.writer, daemon.path)
    await second.start(daemon.config)
    assert [flip[:4] for flip in await second.flips("backup")] == [
        (NOW, "new", "up", "ping"),
        (NOW + HOUR, "up", "late", "deadline"),
        (NOW + HOUR + GRACE, "late", "down", "missed"),
    ]


async def test_a_restart_before_the_deadline_arms_it_again(daemon):
    daemon.ping("backup")
    daemon.tick(HOUR / 2)
    await daemon.writer.flush()
    second = Daemon(daemon.clock, daemon.writer, daemon.path)
    await second.start(daemon.config)
    assert second.state("backup") == "up"
    assert second.timer("backup") == pytest.approx(NOW + HOUR)
    second.tick(HOUR / 2 + TICK)
    assert second.state("backup") == "late"
    assert (await second.flips("backup"))[1:] == [(NOW + HOUR, "up", "late", "deadline", None)]


async def pause(daemon: Daemon, key: str) -> None:
    """As the API pauses: the row, then the running heartbeat."""
    seq = daemon.service.beats[key].seq
    await daemon.writer.run(lambda conn: store.pause(conn, seq, round(daemon.clock.time() * 1000)))
    daemon.service.pause(key)


async def test_a_ping_to_a_paused_manual_resume_heartbeat_is_ignored(daemon):
    daemon.ping("manual")
    await pause(daemon, "manual")
    daemon.tick(2 * HOUR)                      # paused: no deadline flips it
    assert daemon.state("manual") == "up" and daemon.timer("manual") is None

    assert daemon.ping("manual") == "ignored"
    assert daemon.ping("manual", "fail") == "ignored"
    beat = daemon.service.beats["manual"]
    assert beat.paused and beat.state.state == "up" and beat.state.last_ping_at == NOW
    assert daemon.timer("manual") is None
    assert await daemon.pings("manual") == [
        (1, round(NOW * 1000), "success", "GET"),
        (2, round((NOW + 2 * HOUR) * 1000), "ignored", "GET"),
        (3, round((NOW + 2 * HOUR) * 1000), "ignored", "GET"),
    ]
    assert await daemon.flips("manual") == [(NOW, "new", "up", "ping", 1)]
    assert (await daemon.row("manual"))[:2] == ("paused", "up")


async def test_a_ping_to_a_paused_heartbeat_resumes_it_and_counts(daemon):
    await pause(daemon, "auto")
    daemon.tick(60)
    assert daemon.ping("auto", "log") == "log"         # a log ping does not resume
    assert daemon.service.beats["auto"].paused
    assert daemon.ping("auto") == "success"
    beat = daemon.service.beats["auto"]
    assert not beat.paused and beat.state.state == "up"
    assert daemon.timer("auto") == pytest.approx(NOW + 60 + HOUR)
    assert await daemon.row("auto") == ("active", "up", round((NOW + 60) * 1000), round((NOW + 60) * 1000))
    assert await daemon.flips("auto") == [(NOW + 60, "new", "up", "ping", 2)]
    daemon.tick(HOUR + TICK)
    assert daemon.state("auto") == "late"


async def test_a_get_to_a_post_only_heartbeat_is_ignored(daemon):
    assert daemon.ping("postonly", method="GET") == "ignored"
    assert daemon.ping("postonly", "fail", method="HEAD") == "ignored"
    assert daemon.state("postonly") == "new" and daemon.timer("postonly") is None
    daemon.tick(10)
    assert daemon.ping("postonly", method="POST") == "success"
    assert daemon.state("postonly") == "up"
    assert await daemon.pings("postonly") == [
        (1, round(NOW * 1000), "ignored", "GET"),
        (2, round(NOW * 1000), "ignored", "HEAD"),
        (3, round((NOW + 10) * 1000), "success", "POST"),
    ]
    assert await daemon.flips("postonly") == [(NOW + 10, "new", "up", "ping", 3)]


async def test_a_finish_with_another_rid_after_an_overrun_stays_up(daemon):
    """The overrun already flipped the heartbeat down; the unpaired finish brings it up
    and that start is no deadline again (it used to flip straight back to down, dated
    before the ping)."""
    daemon.ping("backup")
    daemon.ping("backup", "start", rid="5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278")
    daemon.tick(GRACE + TICK)
    assert daemon.state("backup") == "down"
    daemon.tick(60)
    daemon.ping("backup", rid="1f0e6c7a-3b2d-4e5f-8a9b-0c1d2e3f4a5b")
    daemon.tick(TICK)
    assert daemon.state("backup") == "up"
    assert daemon.timer("backup") == pytest.approx(NOW + GRACE + TICK + 60 + HOUR)
    assert [flip[:4] for flip in await daemon.flips("backup")] == [
        (NOW, "new", "up", "ping"),
        (NOW + GRACE, "up", "down", "overrun"),
        (pytest.approx(NOW + GRACE + TICK + 60), "down", "up", "ping"),
    ]


async def test_a_start_that_resumes_a_paused_heartbeat_flips_nothing_from_the_pause(daemon):
    daemon.ping("auto")
    daemon.tick(60)
    await pause(daemon, "auto")
    paused_at = daemon.clock.time()
    daemon.tick(2 * DAY)
    resumed_at = daemon.clock.time()
    assert daemon.ping("auto", "start") == "start"
    daemon.tick(TICK)
    assert not daemon.service.beats["auto"].paused
    assert [flip for flip in await daemon.flips("auto") if paused_at <= flip[0] < resumed_at] == []
    assert daemon.state("auto") != "down"   # a run is in progress; its overrun is start + grace away
