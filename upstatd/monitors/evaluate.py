"""The monitor state machine: pure, one function, driven by check results.

A result argues for one of three states: `up`, `degraded` (a correct answer,
but slow or with a certificate close to expiry) or `down`. Going worse needs
`failures` consecutive results (up -> degraded, anything -> down); going
better needs `successes` (down -> up or degraded, degraded -> up). pending
takes the first confirmed state. A result that disagrees with the current
state asks for a fast re-check instead of a whole interval.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from upstatd.config.schema import Confirmation

STATES = ("pending", "up", "degraded", "down")
MAINTENANCE = "maintenance"  # shown while a maintenance window covers the monitor: results are not weighed


class MonitorState(msgspec.Struct, frozen=True):
    # a Struct: made once per check, and a frozen dataclass's __init__ costs ~10 times as much
    state: str = "pending"
    since: float = 0.0      # wall time the state was entered
    failures: int = 0       # consecutive down results
    successes: int = 0      # consecutive up-or-degraded results
    last: str = ""          # the latest result's outcome
    streak: int = 0         # consecutive results with that outcome


class Transition(NamedTuple):
    from_state: str
    to_state: str


class Outcome(NamedTuple):
    state: MonitorState
    transition: Transition | None
    recheck: bool           # the result is not yet confirmed: probe again soon


def evaluate(current: MonitorState, result: str, now: float, confirmation: Confirmation) -> Outcome:
    """`result` is the outcome of one check: "up", "degraded" or "down"."""
    streak = current.streak + 1 if result == current.last else 1
    if result == "down":
        failures, successes = current.failures + 1, 0
        confirmed = failures >= confirmation.failures
    else:
        failures, successes = 0, current.successes + 1
        if current.state in ("pending", "down"):
            confirmed = successes >= confirmation.successes
        elif result == "degraded":
            confirmed = streak >= confirmation.failures
        else:
            confirmed = streak >= confirmation.successes
    if current.state != result and confirmed:
        state = MonitorState(result, now, failures, successes, result, streak)
        return Outcome(state, Transition(current.state, result), False)
    state = MonitorState(current.state, current.since, failures, successes, result, streak)
    return Outcome(state, None, current.state != result)


def enter_maintenance(current: MonitorState, now: float) -> tuple[MonitorState, Transition]:
    """A maintenance window began: the monitor shows `maintenance` until it ends; its
    results are stored but weigh nothing (no state change, so no incident)."""
    return MonitorState(MAINTENANCE, now), Transition(current.state, MAINTENANCE)


def leave_maintenance(before: str | None, now: float) -> tuple[MonitorState, Transition]:
    """The window ended: back to the state it went in with (`pending` when not known: it
    began while the daemon was stopped), counts started over. So a target that is still
    down changes to down after `failures` results, as any outage is confirmed, and its
    incident opens then; one that was down and still is stays down (its incident is open)."""
    state = before if before in STATES else "pending"
    return MonitorState(state, now), Transition(MAINTENANCE, state)
