"""The monitor state machine: pure, one function, driven by check results.

pending -> up after `successes` consecutive successes, -> down after
`failures` consecutive failures; up <-> down the same way. A result that
disagrees with the current state starts (or continues) a confirmation, and
asks for a fast re-check instead of a whole interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from upstatd.config.schema import Confirmation

STATES = ("pending", "up", "down")


@dataclass(slots=True, frozen=True)
class MonitorState:
    state: str = "pending"
    since: float = 0.0      # wall time the state was entered
    failures: int = 0       # consecutive failed checks
    successes: int = 0      # consecutive good checks


class Transition(NamedTuple):
    from_state: str
    to_state: str


class Outcome(NamedTuple):
    state: MonitorState
    transition: Transition | None
    recheck: bool           # the result is not yet confirmed: probe again soon


def evaluate(current: MonitorState, ok: bool, now: float, confirmation: Confirmation) -> Outcome:
    if ok:
        failures, successes = 0, current.successes + 1
        target, needed, count = "up", confirmation.successes, successes
    else:
        failures, successes = current.failures + 1, 0
        target, needed, count = "down", confirmation.failures, failures
    if current.state != target and count >= needed:
        state = MonitorState(target, now, failures, successes)
        return Outcome(state, Transition(current.state, target), False)
    state = MonitorState(current.state, current.since, failures, successes)
    return Outcome(state, None, current.state != target)
