"""One layer of an on-call schedule (pure): a rotation of people handing off
at a local time in the layer's IANA zone, optionally restricted to weekly
spans (weekdays 09:00-17:00, nights 18:00-08:00).

Handoffs. The first is `starts_at`, wall time in `timezone`; before it the
layer covers nothing. The k-th handoff gives the shift to users[k % len]:

- `daily`, `weekly`, `<N>d`: every N days at the same wall-clock time, so a
  daily rotation handing off at 09:00 does so at 09:00 on both sides of a
  daylight-saving change (that shift lasts 23 or 25 hours).
- `<N>h`: every N elapsed hours from the first handoff, whatever the clock
  says (a 12-hour rotation starting 21:00 hands off at 10:00 local time the
  morning after clocks spring forward).

Wall times are made instants as maintenance/windows.py makes them (RFC 5545
3.3.5): a time that does not exist (02:30 when clocks spring forward at
02:00) is read with the offset before the gap, so it moves forward by the gap;
a time that happens twice (clocks fall back) is its first pass (fold=0).

Restrictions mask the rotation, they do not pause it: inside a span the layer
covers with whoever the rotation has then; outside every span it covers
nothing and lower layers show through. A span starts on each of its `days`
at `start` and ends at `end` the same day, or the next day when `end` is at
or before `start` (18:00-08:00 is a night; 00:00-00:00 the whole day).

A layer with no users covers nothing.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

import msgspec

from upstatd.heartbeats.schedule import ScheduleError, check_timezone, zone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")   # datetime.weekday() order
LENGTHS = ("daily", "weekly")                               # or <N>h, <N>d
MAX_HOURS, MAX_DAYS = 24 * 366, 366
MIN_YEAR, MAX_YEAR = 2000, 2200                          # starts_at; handoffs run to year 9999 at most
MAX_EDGES = 100_000                                         # instants one call looks at, at most
_LENGTH = re.compile(r"([1-9][0-9]{0,3})([hd])")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


class RotationError(ValueError):
    """A layer or schedule field that cannot be used; `param` names it (relative: `length`,
    `restrictions[1].end`), so the YAML loader and the API can prefix their own path."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"{param}: {message}")


class Restriction(msgspec.Struct, frozen=True):
    days: tuple[str, ...]    # the days a span starts on: mon … sun
    start: str               # "09:00", wall time in the layer's zone
    end: str                 # "17:00"; at or before start: on the next day


class Layer(msgspec.Struct, frozen=True):
    users: tuple[str, ...]   # usr_… ids, in rotation order
    starts_at: str           # the first handoff, wall time in `timezone`: "2026-03-06T10:00"
    length: str              # daily | weekly | <N>h | <N>d
    timezone: str = "UTC"
    restrictions: tuple[Restriction, ...] = ()


class _Plan(NamedTuple):
    """A checked layer in the form the arithmetic wants."""
    first_wall: datetime
    first: float                     # the first handoff, Unix seconds
    days: int                        # wall-clock days per shift; 0 when `hours` is used
    hours: int                       # elapsed hours per shift; 0 when `days` is used
    spans: tuple[tuple[frozenset[int], time, time], ...]


# -- checks (the config file's and the API's) ---------------------------------------------

def check_layer(layer: Layer) -> Layer:
    """The layer as given when every field can be used; RotationError names the first that cannot."""
    try:
        check_timezone(layer.timezone)
    except ScheduleError as exc:
        raise RotationError("timezone", str(exc)) from None
    for index, user in enumerate(layer.users):
        if not isinstance(user, str) or not user:
            raise RotationError(f"users[{index}]", "must be a user id (usr_…)")
    _first_wall(layer.starts_at)
    _length(layer.length)
    for index, restriction in enumerate(layer.restrictions):
        where = f"restrictions[{index}]"
        if not restriction.days:
            raise RotationError(f"{where}.days", "must name at least one day (mon … sun)")
        for day in restriction.days:
            if day not in DAYS:
                raise RotationError(f"{where}.days", f"'{day}' is not one of {', '.join(DAYS)}")
        _clock(restriction.start, f"{where}.start")
        _clock(restriction.end, f"{where}.end")
    return layer


def _first_wall(text: str) -> datetime:
    try:
        wall = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise RotationError("starts_at", f"'{text}' must be a local date and time like 2026-03-06T10:00") from None
    if not MIN_YEAR <= wall.year <= MAX_YEAR:
        raise RotationError("starts_at", f"'{text}' must be in the years {MIN_YEAR}-{MAX_YEAR}")
    if wall.tzinfo is not None:
        raise RotationError("starts_at", f"'{text}' must be wall time without an offset (the layer's timezone "
                                         "applies)")
    return wall


def _length(text: str) -> tuple[int, int]:
    """(days, hours): one of them 0."""
    if text == "daily":
        return 1, 0
    if text == "weekly":
        return 7, 0
    found = _LENGTH.fullmatch(text or "")
    if found:
        count, unit = int(found.group(1)), found.group(2)
        if unit == "h" and count <= MAX_HOURS:
            return 0, count
        if unit == "d" and count <= MAX_DAYS:
            return count, 0
    raise RotationError("length", f"'{text}' must be daily, weekly, <N>h (1-{MAX_HOURS}) or <N>d (1-{MAX_DAYS})")


def _clock(text: str, param: str) -> time:
    found = _CLOCK.fullmatch(text or "")
    if not found:
        raise RotationError(param, f"'{text}' must be a time of day like 09:00 (00:00-23:59)")
    return time(int(found.group(1)), int(found.group(2)))


@lru_cache(maxsize=4096)
def _plan(layer: Layer) -> _Plan:
    check_layer(layer)
    first_wall = _first_wall(layer.starts_at)
    days, hours = _length(layer.length)
    spans = tuple((frozenset(DAYS.index(day) for day in item.days), _clock(item.start, "start"),
                   _clock(item.end, "end")) for item in layer.restrictions)
    return _Plan(first_wall, _instant(first_wall, layer.timezone), days, hours, spans)


# -- wall time ---------------------------------------------------------------------------

def _wall(t: float, name: str) -> datetime:
    return datetime.fromtimestamp(t, zone(name)).replace(tzinfo=None)


def _instant(wall: datetime, name: str) -> float:
    """fold=0: a skipped time moves forward by the gap, a repeated one is its first pass."""
    return wall.replace(tzinfo=zone(name), fold=0).timestamp()


# -- the rotation ------------------------------------------------------------------------

def handoff(layer: Layer, k: int) -> float:
    """The k-th handoff (k >= 0), Unix seconds."""
    plan = _plan(layer)
    if plan.hours:
        return plan.first + k * plan.hours * 3600.0
    return _instant(plan.first_wall + timedelta(days=k * plan.days), layer.timezone)


def shift_index(layer: Layer, t: float) -> int | None:
    """The k of the shift covering `t` (handoff(k) <= t < handoff(k + 1)); None before the first."""
    plan = _plan(layer)
    if t < plan.first:
        return None
    if plan.hours:
        k = int((t - plan.first) // (plan.hours * 3600.0))
    else:  # wall-clock days: a guess off by at most one where the offset changes
        k = (_wall(t, layer.timezone) - plan.first_wall) // timedelta(days=plan.days)
    k = max(k, 0)
    while handoff(layer, k + 1) <= t:
        k += 1
    while k > 0 and handoff(layer, k) > t:
        k -= 1
    return k


@lru_cache(maxsize=16384)   # restricted_in asks for the same few days again and again
def _spans_from(layer: Layer, day: date) -> tuple[tuple[float, float], ...]:
    """The restriction spans starting on local `day`, as [start, end) instants."""
    plan = _plan(layer)
    found = []
    for days, start, end in plan.spans:
        if day.weekday() not in days:
            continue
        begin = datetime.combine(day, start)
        finish = datetime.combine(day + timedelta(days=1) if end <= start else day, end)
        found.append((_instant(begin, layer.timezone), _instant(finish, layer.timezone)))
    return tuple(found)


def restricted_in(layer: Layer, t: float) -> bool:
    """Whether `t` is inside one of the layer's restriction spans (always, with none)."""
    if not layer.restrictions:
        return True
    today = _wall(t, layer.timezone).date()
    for back in (2, 1, 0):  # today or yesterday; or the day before, if a gap pushed its end past midnight
        for start, end in _spans_from(layer, today - timedelta(days=back)):
            if start <= t < end:
                return True
    return False


def user_at(layer: Layer, t: float) -> str | None:
    """Who the layer puts on call at `t`; None where it covers nothing."""
    if not layer.users or not restricted_in(layer, t):
        return None
    k = shift_index(layer, t)
    return None if k is None else layer.users[k % len(layer.users)]


def edges(layer: Layer, since: float, until: float) -> list[float]:
    """The instants in [since, until) where `user_at` may change: handoffs (the first
    included) and the ends of restriction spans. Sorted, each once; at most MAX_EDGES."""
    if not layer.users or until <= since:
        return []
    found = set()
    k = shift_index(layer, since)
    k = 0 if k is None else k
    while len(found) < MAX_EDGES:
        at = handoff(layer, k)
        if at >= until:
            break
        if at >= since:
            found.add(at)
        k += 1
    if layer.restrictions:
        day = _wall(since, layer.timezone).date() - timedelta(days=2)
        last = _wall(until, layer.timezone).date()
        while day <= last and len(found) < MAX_EDGES:
            for start, end in _spans_from(layer, day):
                found.update(at for at in (start, end) if since <= at < until)
            day += timedelta(days=1)
    return sorted(found)
