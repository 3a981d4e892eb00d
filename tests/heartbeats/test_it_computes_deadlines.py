"""Heartbeat deadlines as pure functions (upstatd.heartbeats.deadlines): a ping,
the passing of time (`advance`), the next change time alone brings
(`next_change`) and `resume`, in tables. No clock: every time is given.

A heartbeat here runs every hour (period 1h) with 10 minutes of grace unless a
case says otherwise, and starts `new` at T0.
"""

from __future__ import annotations

import pytest

from upstatd.heartbeats import deadlines, runs
from upstatd.heartbeats.deadlines import Flip, HeartbeatState
from upstatd.heartbeats.schedule import Schedule

T0 = 1_700_000_000.0
HOUR = 3600.0
DAY = 86400.0
GRACE = 600.0
HOURLY = Schedule("period", period=HOUR)
A = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"   # rids
B = "1f0e6c7a-3b2d-4e5f-8a9b-0c1d2e3f4a5b"


def run(events, schedule: Schedule = HOURLY, grace: float = GRACE, hb: HeartbeatState | None = None):
    """Apply events in order -> (final state, every flip, the duration of every ping).

    Events: ("success" | "start" | "fail" | "log" | "ignored", at[, rid]),
    ("advance", now) and ("resume", at)."""
    hb = hb or HeartbeatState("new", T0)
    flips: list[Flip] = []
    durations: list[float | None] = []
    for event in events:
        what, at = event[0], event[1]
        if what == "advance":
            hb, due = deadlines.advance(hb, at, grace)
            flips += due
        elif what == "resume":
            hb, flip = deadlines.resume(hb, at)
            flips += [flip] if flip else []
        else:
            outcome = deadlines.ping(hb, what, event[2] if len(event) > 2 else None, at, schedule)
            hb = outcome.state
            flips += [outcome.flip] if outcome.flip else []
            durations.append(outcome.duration)
    return hb, flips, durations


# -- pings on a period --------------------------------------------------------------------

PERIOD_CASES = [
    pytest.param(
        [("success", T0)],
        ("up", T0, T0 + HOUR), [Flip("new", "up", T0, "ping")], (T0 + HOUR, "late", "deadline"),
        id="first-ping-new-to-up"),
    pytest.param(
        [("success", T0), ("success", T0 + 1800)],
        ("up", T0, T0 + 1800 + HOUR), [Flip("new", "up", T0, "ping")], (T0 + 1800 + HOUR, "late", "deadline"),
        id="early-ping-counts-from-itself"),
    pytest.param(
        [("success", T0), ("success", T0 + HOUR)],
        ("up", T0, T0 + 2 * HOUR), [Flip("new", "up", T0, "ping")], (T0 + 2 * HOUR, "late", "deadline"),
        id="ping-exactly-on-time-stays-up"),
    pytest.param(
        [("success", T0), ("advance", T0 + HOUR - 0.001)],
        ("up", T0, T0 + HOUR), [Flip("new", "up", T0, "ping")], (T0 + HOUR, "late", "deadline"),
        id="a-millisecond-before-expected-nothing"),
    pytest.param(
        [("success", T0), ("advance", T0 + HOUR)],
        ("late", T0 + HOUR, T0 + HOUR), [Flip("new", "up", T0, "ping"), Flip("up", "late", T0 + HOUR, "deadline")],
        (T0 + HOUR + GRACE, "down", "missed"),
        id="late-exactly-at-expected"),
    pytest.param(
        [("success", T0), ("advance", T0 + HOUR + 300), ("success", T0 + HOUR + 300)],
        ("up", T0 + HOUR + 300, T0 + 2 * HOUR + 300),
        [Flip("new", "up", T0, "ping"), Flip("up", "late", T0 + HOUR, "deadline"),
         Flip("late", "up", T0 + HOUR + 300, "ping")],
        (T0 + 2 * HOUR + 300, "late", "deadline"),
        id="ping-in-grace-late-to-up"),
    pytest.param(
        [("success", T0), ("advance", T0 + HOUR + GRACE - 0.001)],
        ("late", T0 + HOUR, T0 + HOUR), [Flip("new", "up", T0, "ping"), Flip("up", "late", T0 + HOUR, "deadline")],
        (T0 + HOUR + GRACE, "down", "missed"),
        id="still-late-just-before-grace-ends"),
    pytest.param(
        [("success", T0), ("advance", T0 + HOUR), ("advance", T0 + HOUR + GRACE)],
        ("down", T0 + HOUR + GRACE, T0 + HOUR),
        [Flip("new", "up", T0, "ping"), Flip("up", "late", T0 + HOUR, "deadline"),
         Flip("late", "down", T0 + HOUR + GRACE, "missed")],
        None,
        id="down-when-grace-ends"),
    pytest.param(
        [("success", T0), ("advance", T0 + 2 * HOUR), ("success", T0 + 2 * HOUR)],
        ("up", T0 + 2 * HOUR, T0 + 3 * HOUR),
        [Flip("new", "up", T0, "ping"), Flip("up", "late", T0 + HOUR, "deadline"),
         Flip("late", "down", T0 + HOUR + GRACE, "missed"), Flip("down", "up", T0 + 2 * HOUR, "ping")],
        (T0 + 3 * HOUR, "late", "deadline"),
        id="ping-after-down-up-again-counting-from-the-ping"),
]


@pytest.mark.parametrize("events, state_since_expected, flips, next_change", PERIOD_CASES)
def test_pings_on_a_period(events, state_since_expected, flips, next_change):
    hb, got, _ = run(events)
    assert (hb.state, hb.since, hb.expected_at) == state_since_expected
    assert got == flips
    assert deadlines.next_change(hb, GRACE) == next_change


# -- next_change on states as they are ------------------------------------------------

E = T0 + HOUR   # the expected slot of the states below


NEXT_CHANGE_CASES = [
    pytest.param(HeartbeatState("new", T0), GRACE, None, id="new-never-goes-late"),
    pytest.param(HeartbeatState("new", T0, T0 - DAY, T0 - DAY, E), GRACE, None,
                 id="new-after-resume-keeps-no-deadline"),
    pytest.param(HeartbeatState("new", T0, T0, None, None, ((None, T0),)), GRACE, (T0 + GRACE, "down", "overrun"),
                 id="new-with-a-start-can-overrun"),
    pytest.param(HeartbeatState("up", T0, T0, T0, E), GRACE, (E, "late", "deadline"), id="up"),
    pytest.param(HeartbeatState("up", T0, T0, T0, E), 0.0, (E, "down", "missed"),
                 id="up-grace-0-straight-to-down"),
    pytest.param(HeartbeatState("late", E, T0, T0, E), GRACE, (E + GRACE, "down", "missed"), id="late"),
    pytest.param(HeartbeatState("late", E, T0, T0, E), 0.0, (E, "down", "missed"), id="late-grace-0"),
    pytest.param(HeartbeatState("down", E, T0, T0, E), GRACE, None, id="down-stays-down"),
    pytest.param(HeartbeatState("down", E, E, T0, E, ((None, E),)), GRACE, None, id="down-with-a-start-stays-down"),
    pytest.param(HeartbeatState("up", T0, T0 + 100, T0, E, ((None, T0 + 100),)), GRACE,
                 (T0 + 100 + GRACE, "down", "overrun"),
                 id="up-started-early-overrun-first"),
    pytest.param(HeartbeatState("up", T0, E - 60, T0, E, ((None, E - 60),)), GRACE, (E - 60 + GRACE, "down", "overrun"),
                 id="up-started-near-slot-no-late-overrun-first"),
    pytest.param(HeartbeatState("late", E, E + 120, T0, E, ((None, E + 120),)), GRACE, (E + GRACE, "down", "missed"),
                 id="late-started-in-grace-slot-first"),
    # an overrun that fell due before this state began had its flip: no deadline again, no hold on late
    pytest.param(HeartbeatState("up", T0 + 2000, T0 + 2000, T0 + 2000, T0 + 2000 + HOUR, ((A, T0 + 100),)), GRACE,
                 (T0 + 2000 + HOUR, "late", "deadline"), id="up-after-an-overrun-no-stale-overrun"),
    # overlapping runs: the earliest start overruns first; one that already overran is no deadline
    pytest.param(HeartbeatState("up", T0, T0 + 300, T0, E, ((B, T0 + 300), (A, T0 + 100))), GRACE,
                 (T0 + 100 + GRACE, "down", "overrun"), id="two-runs-the-earliest-overruns-first"),
    pytest.param(HeartbeatState("up", T0 + 2000, T0 + 2100, T0 + 2000, T0 + 2000 + HOUR,
                                ((A, T0 + 100), (B, T0 + 2100))), GRACE,
                 (T0 + 2100 + GRACE, "down", "overrun"), id="an-overran-run-beside-a-live-one"),
]


@pytest.mark.parametrize("hb, grace, expected", NEXT_CHANGE_CASES)
def test_next_change(hb, grace, expected):
    assert deadlines.next_change(hb, grace) == expected


# -- /start and the finish that pairs with it -------------------------------------------

START_CASES = [
    pytest.param(
        [("success", T0), ("start", T0 + 1000), ("advance", T0 + 1000 + GRACE)],
        "down", [Flip("up", "down", T0 + 1000 + GRACE, "overrun")], (T0 + 1000, None), [None, None],
        id="start-without-finish-overruns-at-start-plus-grace"),
    pytest.param(
        [("success", T0), ("start", T0 + 1000), ("advance", T0 + 1000 + GRACE - 0.001)],
        "up", [], (T0 + 1000, None), [None, None],
        id="no-overrun-before-start-plus-grace"),
    pytest.param(
        [("success", T0), ("start", E - 60), ("advance", E + 1)],
        "up", [], (E - 60, None), [None, None],
        id="a-run-holds-back-late"),
    pytest.param(
        [("success", T0), ("start", E - 60), ("advance", E + 5 * GRACE)],
        "down", [Flip("up", "down", E - 60 + GRACE, "overrun")], (E - 60, None), [None, None],
        id="a-run-past-the-slot-overruns-at-start-plus-grace"),
    pytest.param(
        [("success", T0), ("advance", E + 60), ("start", E + 120), ("advance", E + GRACE)],
        "down", [Flip("up", "late", E, "deadline"), Flip("late", "down", E + GRACE, "missed")], (E + 120, None),
        [None, None],
        id="started-in-grace-down-at-expected-plus-grace"),
    pytest.param(
        [("start", T0), ("advance", T0 + GRACE)],
        "down", [Flip("new", "down", T0 + GRACE, "overrun")], (T0, None), [None],
        id="new-with-a-start-overruns"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("success", T0 + 160, A)],
        "up", [], (None, None), [None, None, 60.0],
        id="finish-with-the-same-rid-pairs"),
    pytest.param(
        [("success", T0), ("start", T0 + 100), ("success", T0 + 145)],
        "up", [], (None, None), [None, None, 45.0],
        id="no-rid-on-either-pairs"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("success", T0 + 160, B)],
        "up", [], (T0 + 100, A), [None, None, None],
        id="finish-with-another-rid-ends-nothing"),
    # Healthchecks: a finish without a rid ends the run a start with one began
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("success", T0 + 160)],
        "up", [], (None, None), [None, None, 60.0],
        id="finish-without-a-rid-ends-the-run-started-with-one"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("fail", T0 + 160)],
        "down", [Flip("up", "down", T0 + 160, "fail")], (None, None), [None, None, 60.0],
        id="fail-without-a-rid-ends-the-run-started-with-one"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("start", T0 + 150, B), ("success", T0 + 160),
         ("advance", T0 + 100 + GRACE)],
        "up", [], (None, None), [None, None, None, 10.0],
        id="finish-without-a-rid-ends-every-run-timed-from-the-latest"),
    # and a failure with another rid ends the run too
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("fail", T0 + 160, B)],
        "down", [Flip("up", "down", T0 + 160, "fail")], (None, None), [None, None, None],
        id="fail-with-another-rid-ends-the-run"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("fail", T0 + 160, B), ("success", T0 + 170, A)],
        "up", [Flip("up", "down", T0 + 160, "fail"), Flip("down", "up", T0 + 170, "ping")], (None, None),
        [None, None, None, None],
        id="after-a-fail-with-another-rid-the-runs-own-finish-pairs-with-nothing"),
    pytest.param(
        [("success", T0), ("start", T0 + 100), ("success", T0 + 160, B)],
        "up", [], (T0 + 100, None), [None, None, None],
        id="finish-with-a-rid-does-not-end-a-start-without"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("success", T0 + 160, B), ("advance", T0 + 100 + GRACE)],
        "down", [Flip("up", "down", T0 + 100 + GRACE, "overrun")], (T0 + 100, A), [None, None, None],
        id="the-unpaired-start-still-overruns"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("fail", T0 + 130, A)],
        "down", [Flip("up", "down", T0 + 130, "fail")], (None, None), [None, None, 30.0],
        id="a-fail-pairs-too"),
    # overlapping runs pair by rid (README): each finish ends its own run
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("start", T0 + 200, B), ("success", T0 + 260, A)],
        "up", [], (T0 + 200, B), [None, None, None, 160.0],
        id="start-a-start-b-finish-a-gives-as-duration"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("start", T0 + 200, B), ("success", T0 + 260, B),
         ("success", T0 + 300, A)],
        "up", [], (None, None), [None, None, None, 60.0, 200.0],
        id="overlapping-runs-each-finish-its-own"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("start", T0 + 200, B), ("fail", T0 + 260, B)],
        "down", [Flip("up", "down", T0 + 260, "fail")], (T0 + 100, A), [None, None, None, 60.0],
        id="a-fail-with-its-rid-ends-only-its-run"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("start", T0 + 200, B), ("success", T0 + 260, B),
         ("advance", T0 + 100 + GRACE)],
        "down", [Flip("up", "down", T0 + 100 + GRACE, "overrun")], (T0 + 100, A), [None, None, None, 60.0],
        id="the-run-left-open-still-overruns"),
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("start", T0 + 200, A), ("success", T0 + 260, A)],
        "up", [], (None, None), [None, None, None, 60.0],
        id="a-rid-started-again-counts-from-its-new-start"),
    pytest.param(
        [("success", T0), ("start", T0 + 100), ("start", T0 + 200), ("success", T0 + 260)],
        "up", [], (None, None), [None, None, None, 60.0],
        id="without-rids-a-second-start-replaces-the-first"),
    # After an overrun the start stays: its finish, however late, pairs and gives the duration.
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("advance", T0 + 100 + GRACE), ("success", T0 + 2000, A)],
        "up", [Flip("up", "down", T0 + 100 + GRACE, "overrun"), Flip("down", "up", T0 + 2000, "ping")],
        (None, None), [None, None, 1900.0],
        id="a-late-finish-after-an-overrun-pairs"),
    # A finish with another rid after the overrun: up, and the overrun (already flipped
    # for) is not due again; the next slot counts from the ping.
    pytest.param(
        [("success", T0), ("start", T0 + 100, A), ("advance", T0 + 100 + GRACE), ("success", T0 + 2000, B),
         ("advance", T0 + 2000 + HOUR - 1)],
        "up", [Flip("up", "down", T0 + 100 + GRACE, "overrun"), Flip("down", "up", T0 + 2000, "ping")],
        (T0 + 100, A), [None, None, None],
        id="an-unpaired-finish-after-an-overrun-stays-up"),
]


def test_open_runs_are_bounded():
    """The latest runs.MAX_OPEN starts are kept; the oldest is forgotten (its finish pairs with nothing)."""
    rids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(runs.MAX_OPEN + 1)]
    hb, _, _ = run([("start", T0 + n, rid) for n, rid in enumerate(rids)])
    assert [rid for rid, _ in hb.runs] == rids[1:]
    hb, _, durations = run([("success", T0 + 100, rids[0]), ("success", T0 + 100, rids[1])], hb=hb)
    assert durations == [None, 99.0]
    assert len(hb.runs) == runs.MAX_OPEN - 1


@pytest.mark.parametrize("events, state, flips, start, durations", START_CASES)
def test_start_and_finish(events, state, flips, start, durations):
    hb, got, durations_got = run(events)
    assert hb.state == state
    first_ping = [Flip("new", "up", T0, "ping")] if events[0][0] == "success" else []
    assert got == first_ping + flips
    assert (hb.started_at, hb.start_rid) == start
    assert durations_got == durations


def test_a_paired_finish_keeps_its_duration_and_counts_as_a_success():
    hb, _, _ = run([("success", T0), ("start", T0 + 100, A), ("success", T0 + 160, A)])
    assert hb.last_duration == 60.0
    assert (hb.last_success_at, hb.expected_at, hb.last_ping_at) == (T0 + 160, T0 + 160 + HOUR, T0 + 160)
    # an unpaired finish leaves the last duration alone
    hb, _, _ = run([("start", T0 + 200, B), ("success", T0 + 230, A)], hb=hb)
    assert hb.last_duration == 60.0 and hb.started_at == T0 + 200


# -- fail, log, ignored ---------------------------------------------------------------------

FAIL_CASES = [
    pytest.param([("success", T0), ("fail", T0 + 60)], [Flip("new", "up", T0, "ping"),
                                                        Flip("up", "down", T0 + 60, "fail")],
                 ("down", T0 + 60), id="fail-on-up-down-at-once"),
    pytest.param([("fail", T0 + 60)], [Flip("new", "down", T0 + 60, "fail")], ("down", T0 + 60),
                 id="fail-on-new"),
    pytest.param([("success", T0), ("advance", E + 1), ("fail", E + 60)],
                 [Flip("new", "up", T0, "ping"), Flip("up", "late", E, "deadline"),
                  Flip("late", "down", E + 60, "fail")],
                 ("down", E + 60), id="fail-in-grace"),
    pytest.param([("success", T0), ("fail", T0 + 60), ("fail", T0 + 120)],
                 [Flip("new", "up", T0, "ping"), Flip("up", "down", T0 + 60, "fail")],
                 ("down", T0 + 60), id="fail-on-down-no-second-transition"),
    pytest.param([("success", T0), ("advance", E + GRACE), ("fail", E + GRACE + 60)],
                 [Flip("new", "up", T0, "ping"), Flip("up", "late", E, "deadline"),
                  Flip("late", "down", E + GRACE, "missed")],
                 ("down", E + GRACE), id="fail-after-a-miss-no-second-transition"),
    pytest.param([("success", T0), ("fail", T0 + 60), ("success", T0 + 120)],
                 [Flip("new", "up", T0, "ping"), Flip("up", "down", T0 + 60, "fail"),
                  Flip("down", "up", T0 + 120, "ping")],
                 ("up", T0 + 120), id="success-after-fail-up"),
]


@pytest.mark.parametrize("events, flips, state_since", FAIL_CASES)
def test_fail(events, flips, state_since):
    hb, got, _ = run(events)
    assert got == flips
    assert (hb.state, hb.since) == state_since
    assert hb.last_ping_at == events[-1][1]


def test_a_fail_does_not_move_the_deadline_it_missed():
    hb, _, _ = run([("success", T0), ("fail", T0 + 60)])
    assert (hb.last_success_at, hb.expected_at) == (T0, E)
    assert deadlines.next_change(hb, GRACE) is None


@pytest.mark.parametrize("kind", ["log", "ignored"])
@pytest.mark.parametrize("before", [
    [("success", T0)],
    [("success", T0), ("advance", E + 1)],
    [("success", T0), ("fail", T0 + 1)],
    [("success", T0), ("start", T0 + 5, A)],
    [],
], ids=["up", "late", "down", "running", "new"])
def test_log_and_ignored_change_nothing(kind, before):
    hb, _, _ = run(before)
    outcome = deadlines.ping(hb, kind, A, T0 + 30 * 60, HOURLY)
    assert outcome == (hb, None, None)


# -- resume ---------------------------------------------------------------------------------

RESUME_CASES = [
    pytest.param([("success", T0), ("fail", T0 + 1), ("resume", T0 + 50)],
                 Flip("down", "new", T0 + 50, "resumed"), id="down"),
    pytest.param([("success", T0), ("advance", E + 1), ("resume", E + 50)],
                 Flip("late", "new", E + 50, "resumed"), id="late"),
    pytest.param([("success", T0), ("start", T0 + 5, A), ("resume", T0 + 50)],
                 Flip("up", "new", T0 + 50, "resumed"), id="up-running"),
    pytest.param([("start", T0 + 5, A), ("resume", T0 + 50)], None, id="new-running"),
    pytest.param([("resume", T0 + 50)], None, id="new"),
]


@pytest.mark.parametrize("events, resumed", RESUME_CASES)
def test_resume_waits_for_the_next_ping(events, resumed):
    before, _, _ = run(events[:-1])
    hb, flip = deadlines.resume(before, events[-1][1])
    assert flip == resumed
    assert (hb.state, hb.since) == ("new", events[-1][1] if resumed else T0)
    assert (hb.started_at, hb.start_rid) == (None, None)
    assert deadlines.next_change(hb, GRACE) is None
    hb, later, _ = run([("advance", T0 + 30 * DAY)], hb=hb)
    assert later == [] and hb.state == "new"


def test_a_ping_after_resume_counts_from_itself():
    hb, _, _ = run([("success", T0), ("fail", T0 + 1), ("resume", T0 + 50)])
    hb, flips, _ = run([("success", T0 + 2 * HOUR)], hb=hb)
    assert flips == [Flip("new", "up", T0 + 2 * HOUR, "ping")]
    assert hb.expected_at == T0 + 3 * HOUR


# -- catch-up after a restart ----------------------------------------------------------------

def test_advance_over_a_long_gap_gives_each_flip_once_at_its_own_time():
    hb, _, _ = run([("success", T0)])
    hb, flips = deadlines.advance(hb, T0 + 3 * DAY, GRACE)
    assert flips == [Flip("up", "late", E, "deadline"), Flip("late", "down", E + GRACE, "missed")]
    assert (hb.state, hb.since) == ("down", E + GRACE)
    again, more = deadlines.advance(hb, T0 + 4 * DAY, GRACE)
    assert more == [] and again == hb


@pytest.mark.parametrize("stored, now, flips", [
    pytest.param(("up", T0, T0, T0, (), None), T0 + 3 * DAY,
                 [Flip("up", "late", E, "deadline"), Flip("late", "down", E + GRACE, "missed")], id="up"),
    pytest.param(("late", E, T0, T0, (), None), T0 + 3 * DAY,
                 [Flip("late", "down", E + GRACE, "missed")], id="late"),
    pytest.param(("up", T0, T0 + 10, T0, ((A, T0 + 10),), None), T0 + 3 * DAY,
                 [Flip("up", "down", T0 + 10 + GRACE, "overrun")], id="running"),
    pytest.param(("up", T0, T0, T0, (), None), E + 300,
                 [Flip("up", "late", E, "deadline")], id="stopped-for-less-than-grace"),
    pytest.param(("up", T0, T0, T0, (), None), E - 1, [], id="nothing-due"),
    pytest.param(("down", E + GRACE, T0, T0, (), None), T0 + 3 * DAY, [], id="down"),
    pytest.param(("new", T0, None, None, (), None), T0 + 3 * DAY, [], id="new"),
])
def test_restored_states_catch_up(stored, now, flips):
    hb = deadlines.restore(*stored, HOURLY)
    hb, got = deadlines.advance(hb, now, GRACE)
    assert got == flips
    assert deadlines.advance(hb, now, GRACE) == (hb, [])


def test_restore_computes_the_expected_slot_again():
    assert deadlines.restore("up", T0, T0, T0, (), None, HOURLY).expected_at == E
    assert deadlines.restore("new", T0, None, None, (), None, HOURLY).expected_at is None


def test_grace_0_goes_down_at_the_slot_without_a_late():
    hb, flips, _ = run([("success", T0), ("advance", E)], grace=0.0)
    assert flips == [Flip("new", "up", T0, "ping"), Flip("up", "down", E, "missed")]
    hb, flips, _ = run([("success", E + 1)], grace=0.0, hb=hb)
    assert flips == [Flip("down", "up", E + 1, "ping")]


def test_a_new_heartbeat_never_goes_late():
    hb = HeartbeatState("new", T0)
    assert deadlines.next_change(hb, GRACE) is None
    assert deadlines.advance(hb, T0 + 365 * DAY, GRACE) == (hb, [])
