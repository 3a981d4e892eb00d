"""Heartbeat states and deadlines: pure functions of a state, a ping or a
time, and the heartbeat's schedule. Times are Unix seconds (wall clock: cron
slots are wall-clock times).

    new   never pinged (or resumed over the API): no deadline until a ping
    up    pinged on time; late at the next expected slot
    late  the slot passed, in grace; down at slot + grace
    down  missed, failed (`/fail`, a non-zero exit status) or overran

A `/start` opens a run (heartbeats/runs.py says which finish ends which run):
each open run arms one more deadline, its start + grace (an overrun), and
holds back `late` while it goes on.
"""

from __future__ import annotations

from typing import NamedTuple

from upstatd.heartbeats import runs as runs_
from upstatd.heartbeats.runs import Runs
from upstatd.heartbeats.schedule import Schedule

STATES = ("new", "up", "late", "down")
KINDS = ("success", "start", "fail", "log", "ignored")


class HeartbeatState(NamedTuple):
    state: str                       # new | up | late | down
    since: float
    last_ping_at: float | None = None     # the last success, fail or start
    last_success_at: float | None = None  # deadlines count from here
    expected_at: float | None = None      # the first slot after last_success_at
    runs: Runs = ()                       # runs in progress: (rid, started_at), oldest first
    last_duration: float | None = None    # seconds, of the last paired run

    @property
    def started_at(self) -> float | None:
        """The latest start still open."""
        return self.runs[-1][1] if self.runs else None

    @property
    def start_rid(self) -> str | None:
        return self.runs[-1][0] if self.runs else None


class Flip(NamedTuple):
    from_state: str
    to_state: str
    at: float
    reason: str   # ping, fail, deadline, missed, overrun, resumed


class PingOutcome(NamedTuple):
    state: HeartbeatState
    flip: Flip | None
    duration: float | None   # seconds between this finish and its start


def restore(state: str, since: float, last_ping_at: float | None, last_success_at: float | None,
            runs: Runs, last_duration: float | None, schedule: Schedule) -> HeartbeatState:
    """A state read back from the database: the expected slot is computed again."""
    expected = schedule.next_after(last_success_at) if last_success_at is not None else None
    return HeartbeatState(state, since, last_ping_at, last_success_at, expected, tuple(runs), last_duration)


def ping(hb: HeartbeatState, kind: str, rid: str | None, now: float, schedule: Schedule) -> PingOutcome:
    """Apply one ping. `log` and `ignored` pings are recorded and change nothing."""
    if kind in ("log", "ignored"):
        return PingOutcome(hb, None, None)
    if kind == "start":
        return PingOutcome(hb._replace(last_ping_at=now, runs=runs_.start(hb.runs, rid, now)), None, None)
    runs, duration = runs_.finish(hb.runs, kind, rid, now)
    last_duration = hb.last_duration if duration is None else duration
    if kind == "success":
        expected = hb.expected_at
        # A cron slot stays the next one while pings come before it: no new calendar walk.
        if schedule.kind == "period" or hb.last_success_at is None or expected is None \
                or not hb.last_success_at <= now < expected:
            expected = schedule.next_after(now)
        target, reason = "up", "ping"
        state = hb._replace(last_ping_at=now, last_success_at=now, expected_at=expected, runs=runs,
                            last_duration=last_duration)
    else:  # fail
        target, reason = "down", "fail"
        state = hb._replace(last_ping_at=now, runs=runs, last_duration=last_duration)
    if hb.state == target:
        return PingOutcome(state, None, duration)
    return PingOutcome(state._replace(state=target, since=now), Flip(hb.state, target, now, reason), duration)


def resume(hb: HeartbeatState, now: float) -> tuple[HeartbeatState, Flip | None]:
    """Resumed over the API: wait for the next ping again, whatever came before."""
    state = hb._replace(runs=())
    if hb.state == "new":
        return state, None
    return state._replace(state="new", since=now), Flip(hb.state, "new", now, "resumed")


def next_change(hb: HeartbeatState, grace: float) -> tuple[float, str, str] | None:
    """(when, new state, reason) of the next change that time alone brings, or None."""
    # A start whose overrun fell due before this state began has had its flip (or a
    # ping came after it): it stays for pairing a late finish, but is no deadline again,
    # or a finish with another rid would flip straight back to down, back-dated to before
    # the ping that brought the heartbeat up. The earliest of the others overruns first.
    live = [started_at for _, started_at in hb.runs if started_at + grace > hb.since]
    running = bool(live)
    first_start = min(live) if live else 0.0
    if hb.state == "down" or (hb.state == "new" and not running):
        return None
    down: tuple[float, str] | None = None
    if hb.state in ("up", "late") and hb.expected_at is not None:
        down = (hb.expected_at + grace, "missed")
    if running and (down is None or first_start + grace < down[0]):
        down = (first_start + grace, "overrun")
    if hb.state == "up" and not running and hb.expected_at is not None \
            and (down is None or hb.expected_at < down[0]):
        return hb.expected_at, "late", "deadline"
    return None if down is None else (down[0], "down", down[1])


def advance(hb: HeartbeatState, now: float, grace: float) -> tuple[HeartbeatState, list[Flip]]:
    """Every change due by `now`, each at the time it really fell due (after a
    restart, a deadline that passed while the daemon was stopped flips once,
    with its own time)."""
    flips: list[Flip] = []
    while True:
        change = next_change(hb, grace)
        if change is None or change[0] > now:
            return hb, flips
        at, target, reason = change
        flips.append(Flip(hb.state, target, at, reason))
        hb = hb._replace(state=target, since=at)


def excuse(hb: HeartbeatState, end: float, schedule: Schedule) -> HeartbeatState:
    """A maintenance window covering the heartbeat ended at `end`: a slot it expected before
    then is forgiven, and its deadlines count from the window's end, as if it had been
    pinged then (kept through `last_success_at`, so a restart counts from there too). No
    flip: one already late stays late, with the new slot's grace. Runs are left alone."""
    if hb.state not in ("up", "late") or hb.expected_at is None or hb.expected_at >= end:
        return hb
    return hb._replace(last_success_at=end, expected_at=schedule.next_after(end))
