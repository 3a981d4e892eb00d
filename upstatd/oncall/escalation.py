"""The escalation of one incident (pure): which steps of its policy fall due now,
and when the next one will.

Timing (Better Stack's: each step's `wait_before` counts from the step before):

- round 0 begins when the incident started (or was reopened: the shell passes
  that time and only the steps fired since); step i of a round fires
  `wait_seconds` after step i-1 of the round fired, step 0 `wait_seconds`
  after the round began;
- `repeat` K runs the whole policy K more times (1 + K rounds, as Better
  Stack's repeat_count); round r begins `repeat_delay_seconds` after round
  r-1's last step fired;
- waits count from when the step before actually fired, not from when it
  was due: after an "escalate now" or a late start the rest keep their
  spacing from then.

Stopping: escalation runs only while the incident is `open` (the lifecycle's
name, incidents/lifecycle.py). Acknowledged, resolved or closed: nothing is due.

Escalate now (POST /api/incidents/{id}/escalate): a request makes the next
step due at the request's time. A request is used up by the first step fired at
or after it, so two requests before the next step fires jump once.

Restarts and lateness: a step that fell due while the daemon was stopped fires
once, at start, and the steps after it wait their own time from then. Several
missed steps do not fire in one burst: the policy gives each tier its wait to
answer, and paging the on-call person and the manager in the same second
would skip that; nothing is skipped either (every step still fires, in order).

The shell records each due step as fired at `now` (round, step, fired_at):
those records are all the state there is, so a restart neither repeats nor
skips a step. A policy edited while an incident escalates is read from the
latest position fired: past the new policy's last step or round, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import msgspec

from upstatd.oncall.rotations import Schedule, on_call_at

TARGET_TYPES = ("current_on_call", "user", "schedule_members", "channel")
ESCALATING = "open"                    # the one incident status escalation runs in
MAX_STEPS, MAX_REPEAT = 20, 10
MAX_WAIT = 7 * 86400.0                 # s
MIN_ROUND_GAP = 60.0                   # s: repeat_delay + the first wait, when the policy repeats


class EscalationError(ValueError):
    """A policy field that cannot be used; `param` names it (`steps[1].wait_seconds`)."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"{param}: {message}")


class Target(msgspec.Struct, frozen=True):
    type: str    # current_on_call (sch_): who is on call when the step fires | user (usr_)
    id: str      # | schedule_members (sch_): everyone in its layers | channel (ch_)


class Step(msgspec.Struct, frozen=True):
    wait_seconds: float             # after the step before (step 0: after the round began)
    targets: tuple[Target, ...]


class Policy(msgspec.Struct, frozen=True):
    steps: tuple[Step, ...]
    repeat: int = 0                     # more rounds after the first
    repeat_delay_seconds: float = 0.0   # between a round's last step and the next round


class Fired(NamedTuple):
    round: int
    step: int
    fired_at: float


class Due(NamedTuple):
    round: int
    step: int
    due_at: float              # when it fell due (earlier than now when late)
    targets: tuple[Target, ...]
    requested: bool            # brought forward by an escalate-now request


class Escalation(NamedTuple):
    due: list[Due]             # to fire now, in order
    next_at: float | None      # when the next step falls due; None: nothing more (stopped or done)


def check_policy(policy: Policy) -> Policy:
    """The policy as given when it can be used; EscalationError names the first field that cannot."""
    if not 1 <= len(policy.steps) <= MAX_STEPS:
        raise EscalationError("steps", f"must have 1 to {MAX_STEPS} steps")
    for index, step in enumerate(policy.steps):
        where = f"steps[{index}]"
        if not 0 <= step.wait_seconds <= MAX_WAIT:
            raise EscalationError(f"{where}.wait_seconds", f"must be between 0 and {MAX_WAIT:g} (7 days)")
        if not step.targets:
            raise EscalationError(f"{where}.targets", "must name at least one target")
        for number, target in enumerate(step.targets):
            if target.type not in TARGET_TYPES:
                raise EscalationError(f"{where}.targets[{number}].type",
                                      f"'{target.type}' is not one of {', '.join(TARGET_TYPES)}")
            if not target.id:
                raise EscalationError(f"{where}.targets[{number}].id", "must not be empty")
    if not 0 <= policy.repeat <= MAX_REPEAT:
        raise EscalationError("repeat", f"must be between 0 and {MAX_REPEAT}")
    if not 0 <= policy.repeat_delay_seconds <= MAX_WAIT:
        raise EscalationError("repeat_delay_seconds", f"must be between 0 and {MAX_WAIT:g} (7 days)")
    if policy.repeat and policy.repeat_delay_seconds + policy.steps[0].wait_seconds < MIN_ROUND_GAP:
        # else a round's first step would page in the same instant as the last round's last
        raise EscalationError("repeat_delay_seconds", f"with repeat, repeat_delay_seconds plus the first step's "
                                                      f"wait must be at least {MIN_ROUND_GAP:g} s")
    return policy


def _after(policy: Policy, position: tuple[int, int] | None) -> tuple[tuple[int, int], float] | None:
    """The position after `position` (None: before the first) and how long it waits."""
    if position is None:
        return (0, 0), policy.steps[0].wait_seconds
    round_, step = position
    if round_ > policy.repeat:   # stored under a policy since edited to fewer rounds
        return None
    if step + 1 < len(policy.steps):
        return (round_, step + 1), policy.steps[step + 1].wait_seconds
    if round_ < policy.repeat:
        return (round_ + 1, 0), policy.repeat_delay_seconds + policy.steps[0].wait_seconds
    return None


def escalate(policy: Policy, started_at: float, status: str, fired: Iterable[Fired],
             requests: Iterable[float], now: float) -> Escalation:
    """The steps due at `now` and when the next falls due. `fired`: the steps already fired
    (any order; the latest by position is where the policy stands: a gap is never
    back-filled). `requests`: the times escalate-now was asked for (those before
    `started_at` or after `now` are ignored)."""
    if status != ESCALATING:
        return Escalation([], None)
    fired = list(fired)
    last = max(fired, key=lambda item: (item.round, item.step), default=None)
    position = None if last is None else (last.round, last.step)
    since = started_at if last is None else last.fired_at
    pending = [at for at in requests if started_at <= at <= now and (last is None or at > since)]
    due: list[Due] = []
    while True:
        upcoming = _after(policy, position)
        if upcoming is None:
            return Escalation(due, None)
        position, wait = upcoming
        scheduled = since + wait
        asked = min(pending) if pending else None
        at = scheduled if asked is None or asked >= scheduled else asked
        if at > now:
            return Escalation(due, at)
        due.append(Due(position[0], position[1], at, policy.steps[position[1]].targets, at != scheduled))
        since, pending = now, []   # it fires now: the requests so far are used up


def can_escalate(policy: Policy, status: str, fired: Iterable[Fired]) -> bool:
    """Whether an escalate-now request has a step to jump to (the API answers 409 when not)."""
    if status != ESCALATING:
        return False
    last = max(fired, key=lambda item: (item.round, item.step), default=None)
    return _after(policy, None if last is None else (last.round, last.step)) is not None


class Recipients(NamedTuple):
    users: list[str]       # usr_…, each once, in the targets' order
    channels: list[str]    # ch_…


def recipients(targets: Iterable[Target], schedules: Mapping[str, Schedule], t: float) -> Recipients:
    """Who a step's targets reach at `t`: a schedule's current on-call (nobody when no one
    is), every user in a schedule's layers and overrides, a user, a channel. A schedule
    missing from `schedules` reaches nobody (the shell checks references when saving)."""
    users: dict[str, None] = {}
    channels: dict[str, None] = {}
    for target in targets:
        schedule = schedules.get(target.id)
        if target.type == "user":
            users[target.id] = None
        elif target.type == "channel":
            channels[target.id] = None
        elif target.type == "current_on_call" and schedule is not None:
            who = on_call_at(schedule, t)
            if who is not None:
                users[who.user] = None
        elif target.type == "schedule_members" and schedule is not None:
            for layer in schedule.layers:
                users.update(dict.fromkeys(layer.users))
            users.update(dict.fromkeys(item.user for item in schedule.overrides))
    return Recipients(list(users), list(channels))
