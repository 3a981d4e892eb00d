"""Who is on call (pure): a schedule is layers plus overrides.

Precedence, at any instant:

1. overrides: the newest covering one wins (the newest is the last in
   `overrides`: the shell passes them oldest first, as created);
2. else layers: the last covering one wins (a later layer sits on top, like
   PagerDuty's and Better Stack's layers), where "covering" means the layer
   has started, has users and, if restricted, is inside one of its spans;
3. else nobody.

Layers' own rules (handoffs, restrictions, DST) are in layers.py. Overrides are
absolute instants [starts_at, ends_at). Shifts are [start, end) too.

`shifts` and `next_handoff` look only at the instants where something can
change (handoffs, restriction edges, override edges) and ask `on_call_at` there,
so the three can never disagree.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from upstatd.oncall.layers import Layer, RotationError, check_layer, edges, user_at

MAX_RANGE = 400 * 86400.0         # s: the longest range `shifts` answers
MAX_SHIFTS = 5000                  # shifts one call returns, at most
HANDOFF_HORIZON = 400 * 86400.0   # s: how far ahead `next_handoff` looks
_CHUNK = 8 * 86400.0               # s: next_handoff walks ahead this much at a time


class Override(msgspec.Struct, frozen=True):
    user: str              # usr_…
    starts_at: float       # Unix seconds
    ends_at: float


class Schedule(msgspec.Struct, frozen=True):
    layers: tuple[Layer, ...] = ()           # bottom first: a later layer wins where it covers
    overrides: tuple[Override, ...] = ()     # oldest first: a later override wins where they overlap


class Source(NamedTuple):
    kind: str     # layer | override
    index: int    # its position in the schedule's `layers` or `overrides`


class OnCall(NamedTuple):
    user: str
    source: Source


class Shift(NamedTuple):
    user: str
    start: float   # Unix seconds, [start, end)
    end: float
    source: Source


def check_schedule(schedule: Schedule) -> Schedule:
    """The schedule as given when it can be used; RotationError names the field
    (`layers[0].length`, `overrides[2].ends_at`)."""
    for index, layer in enumerate(schedule.layers):
        try:
            check_layer(layer)
        except RotationError as exc:
            raise RotationError(f"layers[{index}].{exc.param}", str(exc).partition(": ")[2]) from None
    for index, override in enumerate(schedule.overrides):
        if not isinstance(override.user, str) or not override.user:
            raise RotationError(f"overrides[{index}].user", "must be a user id (usr_…)")
        if override.ends_at <= override.starts_at:
            raise RotationError(f"overrides[{index}].ends_at", "must be after starts_at")
    return schedule


def on_call_at(schedule: Schedule, t: float) -> OnCall | None:
    """Who is on call at `t` and why (which override or layer); None: nobody."""
    for index in range(len(schedule.overrides) - 1, -1, -1):
        override = schedule.overrides[index]
        if override.starts_at <= t < override.ends_at:
            return OnCall(override.user, Source("override", index))
    for index in range(len(schedule.layers) - 1, -1, -1):
        user = user_at(schedule.layers[index], t)
        if user is not None:
            return OnCall(user, Source("layer", index))
    return None


def _edges(schedule: Schedule, since: float, until: float) -> list[float]:
    """Every instant in [since, until) where `on_call_at` may change, sorted."""
    found = set()
    for layer in schedule.layers:
        found.update(edges(layer, since, until))
    for override in schedule.overrides:
        found.update(at for at in (override.starts_at, override.ends_at) if since <= at < until)
    return sorted(found)


def shifts(schedule: Schedule, from_t: float, to_t: float, limit: int = MAX_SHIFTS) -> list[Shift]:
    """Who is on call over [from_t, to_t), as shifts clipped to the range, in order; gaps
    (nobody on call) have no shift. Touching pieces of one user from one source are one
    shift (a one-person rotation is one long shift). At most `limit` shifts; a range over
    MAX_RANGE (400 days) or ending before it starts is refused (RotationError, param `to`)."""
    if to_t < from_t:
        raise RotationError("to", "must not be before from")
    if to_t - from_t > MAX_RANGE:
        raise RotationError("to", f"the range must be at most {MAX_RANGE / 86400:g} days")
    points = _edges(schedule, from_t, to_t)
    if not points or points[0] != from_t:
        points.insert(0, from_t)
    points.append(to_t)
    out: list[Shift] = []
    for start, end in zip(points, points[1:]):
        if start >= end:
            continue
        who = on_call_at(schedule, start)
        if who is None:
            continue
        if out and out[-1].end == start and out[-1].user == who.user and out[-1].source == who.source:
            out[-1] = out[-1]._replace(end=end)
            continue
        if len(out) >= limit:
            break
        out.append(Shift(who.user, start, end, who.source))
    return out


def next_handoff(schedule: Schedule, t: float) -> tuple[float, OnCall | None] | None:
    """The first instant after `t` at which the on-call user changes (someone else, or
    nobody, or somebody after nobody), with who is on call from then: what the wheel's
    handoff timer is armed for, and what its on_call.changed event says. A change of source
    with the same user (a layer handing over to an override of the same person) is not a
    handoff. None: no change within HANDOFF_HORIZON (400 days; ask again when the schedule
    is edited or the horizon is reached)."""
    current = on_call_at(schedule, t)
    user = None if current is None else current.user
    since = t
    while since < t + HANDOFF_HORIZON:
        until = min(since + _CHUNK, t + HANDOFF_HORIZON)
        for at in _edges(schedule, since, until):
            if at <= t:
                continue
            who = on_call_at(schedule, at)
            if (None if who is None else who.user) != user:
                return at, who
        since = until
    return None
