"""Helpers of the on-call tables: UTC text <-> Unix seconds, shifts shown as text,
and a fake-clock drive of the escalation state machine (what the daemon's timer does)."""

from __future__ import annotations

from datetime import datetime, timezone as tz

from upstatd.oncall.escalation import Fired, Policy, escalate
from upstatd.oncall.layers import Layer, check_layer
from upstatd.oncall.rotations import Schedule, Shift


def utc(text: str) -> float:
    """'2026-03-29T01:00:00' (UTC) -> Unix seconds."""
    return datetime.fromisoformat(text + "+00:00").timestamp()


def shown(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, tz.utc).isoformat(timespec="seconds")[:-6]


def local(t: float, zone: str) -> str:
    from zoneinfo import ZoneInfo
    return datetime.fromtimestamp(t, ZoneInfo(zone)).isoformat(timespec="minutes")


def layer(users: str, starts_at: str, length: str, timezone: str = "UTC", restrictions=()) -> Layer:
    """`users` as "a b c" -> ("usr_a", "usr_b", "usr_c")."""
    return check_layer(Layer(tuple(f"usr_{name}" for name in users.split()), starts_at, length, timezone,
                             tuple(restrictions)))


def rows(found: list[Shift]) -> list[tuple[str, str, str, str]]:
    """Shifts as (user without usr_, start, end, "layer 0" | "override 1"), UTC text."""
    return [(item.user.removeprefix("usr_"), shown(item.start), shown(item.end),
             f"{item.source.kind} {item.source.index}") for item in found]


def schedule(*layers: Layer, overrides=()) -> Schedule:
    return Schedule(tuple(layers), tuple(overrides))


def drive(policy: Policy, started_at: float, until: float, status_at=(), requests=()) -> list[tuple[int, int, float]]:
    """Run the escalation as the daemon's timer would: wake at each next_at and at each
    request, record what fired at that instant. `status_at`: (time, status) changes.
    Returns (round, step, seconds after started_at) of each step fired."""
    fired: list[Fired] = []
    status = "open"
    changes = sorted(status_at)
    wakes = sorted({started_at, *requests})
    while wakes:
        now = wakes.pop(0)
        if now > until:
            break
        while changes and changes[0][0] <= now:
            status = changes.pop(0)[1]
        result = escalate(policy, started_at, status, fired, [at for at in requests if at <= now], now)
        fired.extend(Fired(item.round, item.step, now) for item in result.due)
        if result.next_at is not None:
            wakes = sorted({*wakes, result.next_at})
        for at, _ in changes:  # a status change wakes the timer too (the acknowledge command does)
            if at not in wakes and at > now:
                wakes = sorted({*wakes, at})
    return [(item.round, item.step, item.fired_at - started_at) for item in fired]
