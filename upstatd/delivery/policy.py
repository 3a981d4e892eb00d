"""The pure decisions of an outbox consumer (delivery/outbox.py): how long it
waits before a retry, and when it gives up on its target (which events it
takes is its filter: for webhooks, config/webhooks.py `matches`). No clock, no randomness, no I/O: the caller passes `now` and the
jitter's random number, so each is a table of cases in the tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(slots=True)
class Policy:
    """Mutable on purpose: a dispatcher shares one with all its consumers (tests shorten the waits)."""
    backoff_base: float = 1.0                   # seconds before the first retry; doubles per failed attempt
    backoff_max: float = 3600.0
    jitter: float = 0.2                         # ± this fraction of each wait
    disable_after: float | None = 24 * 3600.0   # seconds of failing before the target is disabled; None: never
    give_up_after: float | None = None          # seconds of failing after which an event gets no retry; None: never


class Step(NamedTuple):
    """What one attempt changes; committed in one transaction with the attempt's row."""
    done: bool                    # the cursor moves past the event
    next_at: float | None         # when the retry goes (Unix seconds); None: no retry
    failing_since: float | None   # the first failure of the current streak; None: not failing
    disable: str | None           # why the target is disabled now; None: it is not


def backoff(policy: Policy, attempt: int, rand: float) -> float:
    """The wait after failed attempt number `attempt` (1, 2, ...); `rand` in [0, 1) places it in the jitter."""
    wait = min(policy.backoff_max, policy.backoff_base * 2 ** min(attempt - 1, 60))
    return wait * (1 - policy.jitter + 2 * policy.jitter * rand)


def decide(policy: Policy, attempt: int, ok: bool, retry: bool, error: str | None, now: float,
           failing_since: float | None, rand: float) -> Step:
    """After attempt number `attempt` of an event: move on, retry (when), or disable the target."""
    if ok:
        return Step(True, None, None, None)
    since = now if failing_since is None else failing_since
    if policy.disable_after is not None and now - since >= policy.disable_after:
        return Step(False, None, since, disabled_reason(policy.disable_after, since, error))
    if not retry or (policy.give_up_after is not None and now - since >= policy.give_up_after):
        # the channel says another try cannot succeed, or it has failed for too long: given up
        return Step(True, None, since, None)
    return Step(False, now + backoff(policy, attempt, rand), since, None)


def disabled_reason(disable_after: float, since: float, error: str | None) -> str:
    started = datetime.datetime.fromtimestamp(since, datetime.timezone.utc)
    return (f"every attempt failed for {span(disable_after)} (since {started:%Y-%m-%dT%H:%M:%SZ}); "
            f"last error: {error}")


def span(seconds: float) -> str:
    """`24 hours`, `1 hour`, `90 minutes`, `45 seconds`: the largest unit that divides it."""
    for size, unit in ((3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds:g} second{'' if seconds == 1 else 's'}"
