"""When a maintenance window is on (pure): a one-off span, or a recurring
start (an RRULE, a cron expression or OnCalendar lines) plus a duration, in
the window's IANA time zone.

Recurring starts are walked in the zone's wall-clock time and each one made an
instant the way RFC 5545 (3.3.5) says, the same for all three kinds:

- a local time that does not exist (the hour skipped when clocks spring
  forward) is read with the offset before the gap, so it moves forward by the
  gap: "03:30 Europe/Riga" on 2026-03-29 starts at 04:30 EEST, the instant
  03:30 EET would have been. Nothing is skipped.
- a local time that happens twice (clocks fall back) is its first pass: the
  window starts once, in summer time.

`duration` is elapsed seconds, not wall-clock time: a 2 h window started at
02:30 on a fall-back night ends at 03:30 by the clock.

Occurrences are [start, end). Those that overlap or touch are one stretch of
maintenance: `next_change` gives the end of the whole stretch, so a timer never
sees an end and a start at the same instant. `active_at` gives the occurrence
covering the moment (the earliest begun).

An RRULE without DTSTART counts from 2020-01-01 00:00 wall time (a Wednesday):
only what the rule leaves out (the time of day, a weekly rule's day, INTERVAL's
phase) comes from it. DTSTART and UNTIL are wall time in the window's zone
(UNTIL may end in Z: a UTC instant). COUNT counts from DTSTART.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone as dt_timezone
from functools import lru_cache
from typing import NamedTuple

import msgspec
from cronsim import CronSim, CronSimError
from dateutil import rrule as rr
from oncalendar import OnCalendar, OnCalendarError

from upstatd.heartbeats.schedule import ScheduleError, check_cron, check_timezone, zone

KINDS = ("once", "rrule", "cron", "oncalendar")
RECURRING = ("rrule", "cron", "oncalendar")
ANCHOR = datetime(2020, 1, 1)                 # an RRULE's DTSTART when it has none
MARGIN = timedelta(hours=3)                   # wider than any zone's offset change
CHAIN_HORIZON = 7 * 86400.0                   # s: how far next_change follows overlapping occurrences
UPCOMING_HORIZON = 400 * 86400.0              # s: how far ahead `upcoming` looks
MAX_STARTS = 100_000                          # starts looked at in one call, at most
MIN_DURATION, MAX_DURATION = 60.0, 31 * 86400.0
_UTC = dt_timezone.utc


class WindowError(ValueError):
    pass


class Window(msgspec.Struct, frozen=True):
    kind: str                        # once | rrule | cron | oncalendar
    starts_at: float | None = None   # once: Unix seconds
    ends_at: float | None = None
    expression: str | None = None    # the rule, as checked (check_window)
    duration: float | None = None    # recurring: seconds each occurrence lasts
    timezone: str = "UTC"


class Occurrence(NamedTuple):
    start: float   # Unix seconds
    end: float


def horizon(now: float) -> float:
    """How far ahead "upcoming" occurrences are looked for."""
    return now + UPCOMING_HORIZON


# -- the three questions ------------------------------------------------------------------

def occurrences(window: Window, since: float, until: float, limit: int = 100) -> list[Occurrence]:
    """The occurrences that overlap [since, until), by start; at most `limit`."""
    if window.kind == "once":
        one = Occurrence(window.starts_at, window.ends_at)
        return [one] if one.start < until and one.end > since and limit > 0 else []
    length = window.duration
    out = []
    for start in _starts(window, since - length, until, exclusive_end=True, limit=limit, counted_from=since):
        if start + length > since:
            out.append(Occurrence(start, start + length))
            if len(out) >= limit:
                break
    return out


def active_at(window: Window, t: float) -> Occurrence | None:
    """The occurrence covering `t` (start <= t < end), the earliest begun; None when off."""
    covering = occurrences(window, t, math.nextafter(t, math.inf), limit=1)
    return covering[0] if covering else None


def next_change(window: Window, t: float) -> tuple[float, str] | None:
    """The next instant after `t` the window turns on ("start") or off ("end"); None: never.
    An "end" is that of the whole stretch of overlapping occurrences, followed at most
    CHAIN_HORIZON ahead: one longer comes back as an "end" where it is still on (ask again then)."""
    if window.kind == "once":
        if t < window.starts_at < window.ends_at:
            return window.starts_at, "start"
        return (window.ends_at, "end") if window.starts_at <= t < window.ends_at else None
    length = window.duration
    on = occurrences(window, t, math.nextafter(t, math.inf), limit=MAX_STARTS)
    if not on:
        start = _next_start(window, t)
        return None if start is None else (start, "start")
    end = max(item.end for item in on)
    looked = t
    while end - t < CHAIN_HORIZON:  # a chunk of starts at a time, each extending the stretch it touches
        chunk = min(looked + max(64 * length, 86400.0), t + CHAIN_HORIZON)
        for start in _starts(window, looked, chunk, exclusive_end=True):
            if start > end:
                return end, "end"
            end = max(end, start + length)
        if chunk >= t + CHAIN_HORIZON:
            break
        looked = chunk
    return end, "end"


# -- starts in wall-clock time -----------------------------------------------------------

def _wall(t: float, name: str) -> datetime:
    return datetime.fromtimestamp(t, zone(name)).replace(tzinfo=None)


def _instant(wall: datetime, name: str) -> float:
    """fold=0: a skipped time moves forward by the gap, a repeated one is its first pass."""
    return wall.replace(tzinfo=zone(name), fold=0).timestamp()


def _walls_after(window: Window, wall: datetime) -> Iterator[datetime]:
    """The rule's wall-clock starts strictly after `wall`, in order."""
    if window.kind == "cron":
        yield from CronSim(window.expression, wall)
    elif window.kind == "oncalendar":  # it needs an aware start: UTC stands for wall time (no DST)
        for slot in OnCalendar(window.expression, wall.replace(tzinfo=_UTC)):
            yield slot.replace(tzinfo=None)
    else:
        yield from _fast_forward(_rule(window.expression, window.timezone), wall).xafter(wall)


def _starts(window: Window, since: float, until: float, exclusive_end: bool = False,
            limit: int | None = None, counted_from: float | None = None) -> list[float]:
    """Starts in [since, until] ([since, until) when `exclusive_end`), sorted, each once;
    with `limit`, the walk ends MARGIN past the limit-th start at or after `counted_from`."""
    name = window.timezone
    top = _wall(until, name) + MARGIN
    found = set()
    counted, enough_at = 0, None
    for count, wall in enumerate(_walls_after(window, _wall(since, name) - MARGIN)):
        if wall > top or count >= MAX_STARTS or (enough_at is not None and wall > enough_at + MARGIN):
            break
        at = _instant(wall, name)
        if since <= at < until or (at == until and not exclusive_end):
            found.add(at)
            if limit is not None and at >= (since if counted_from is None else counted_from):
                counted += 1
                if counted >= limit and enough_at is None:
                    enough_at = wall
    return sorted(found)


def _next_start(window: Window, t: float) -> float | None:
    """The first start after `t`. Wall time and instants disagree in order only within
    MARGIN of an offset change, so the walk goes MARGIN past the first start found."""
    name = window.timezone
    best, first_wall = None, None
    for count, wall in enumerate(_walls_after(window, _wall(t, name) - MARGIN)):
        if count >= MAX_STARTS or (first_wall is not None and wall > first_wall + MARGIN):
            break
        at = _instant(wall, name)
        if at > t:
            best = at if best is None else min(best, at)
            first_wall = first_wall or wall
    return best


# -- RRULE -------------------------------------------------------------------------------

_DTSTART = re.compile(r"DTSTART:(\d{8}T\d{6})")
_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z")
_WALL_FORM = "%Y%m%dT%H%M%S"
# rules that repeat by a fixed step of wall time can start walking near the moment asked
# about instead of at DTSTART (HOURLY since 2020 is 60,000 steps): only without COUNT
_STEPS = {rr.WEEKLY: timedelta(weeks=1), rr.DAILY: timedelta(days=1), rr.HOURLY: timedelta(hours=1),
          rr.MINUTELY: timedelta(minutes=1)}


@lru_cache(maxsize=1024)
def _rule(expression: str, timezone: str) -> rr.rrule:
    """The checked expression (check_rrule's form: RRULE line, optional DTSTART line)."""
    dtstart = ANCHOR
    lines = []
    for line in expression.splitlines():
        found = _DTSTART.fullmatch(line)
        if found:
            dtstart = datetime.strptime(found.group(1), _WALL_FORM)
        else:
            lines.append(_UNTIL_UTC.sub(lambda m: "UNTIL=" + _utc_to_wall(m.group(1), timezone), line))
    body = "\n".join(lines)
    return rr.rrulestr(body.removeprefix("RRULE:"), dtstart=dtstart)


def _utc_to_wall(text: str, timezone: str) -> str:
    instant = datetime.strptime(text, _WALL_FORM).replace(tzinfo=_UTC).timestamp()
    return _wall(instant, timezone).strftime(_WALL_FORM)


def _fast_forward(rule: rr.rrule, wall: datetime) -> rr.rrule:
    # dateutil keeps these private; a shift by whole steps leaves the set of starts as it is
    step = _STEPS.get(rule._freq)
    if step is None or rule._count is not None:
        return rule
    step *= rule._interval
    skip = (wall - rule._dtstart) // step - 1
    return rule if skip <= 0 else rule.replace(dtstart=rule._dtstart + skip * step)


# -- checks (the config file's and the API's) ---------------------------------------------

def check_rrule(value: str, timezone: str) -> str:
    """An RRULE ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2", optionally "RRULE:" and a line
    "DTSTART:20260301T023000" in wall time) that has at least one occurrence."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    rules = [line for line in lines if not line.startswith("DTSTART")]
    starts = [line for line in lines if line.startswith("DTSTART")]
    if len(rules) != 1 or len(starts) > 1:
        raise WindowError(f"'{value}' must be one RRULE line (like FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0), "
                          "with at most one DTSTART line")
    if starts and not _DTSTART.fullmatch(starts[0]):
        raise WindowError(f"'{starts[0]}': DTSTART must be wall time like DTSTART:20260301T023000 "
                          "(no TZID, no Z: the window's timezone applies)")
    rule = rules[0].removeprefix("RRULE:")
    if re.search(r"(^|;)FREQ=SECONDLY(;|$)", rule.upper()):
        raise WindowError(f"'{rule}': FREQ=SECONDLY is not allowed (at least MINUTELY)")
    expression = "\n".join([*starts, "RRULE:" + rule])
    try:
        if starts:
            datetime.strptime(starts[0].partition(":")[2], _WALL_FORM)
        parsed = _rule(expression, timezone)
        if parsed._until is None and parsed._count is None:  # a rule matching no date is walked to year 9999
            parsed = parsed.replace(until=parsed._dtstart + timedelta(days=50 * 366))
        first = next(iter(parsed), None)
    except (ValueError, TypeError, IndexError) as exc:
        raise WindowError(f"'{rule}' is not a valid RRULE: {exc}") from None
    if first is None:
        raise WindowError(f"'{rule}' never occurs (within 50 years of its DTSTART)")
    return expression


def check_oncalendar_lines(value: str, timezone: str) -> str:
    """OnCalendar lines without a zone of their own (the window's timezone applies)."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if not lines:
        raise WindowError("must have at least one OnCalendar line")
    start = datetime(2020, 1, 1, tzinfo=_UTC)
    for line in lines:
        last = line.split()[-1]
        if len(line.split()) > 1 and (last == "UTC" or "/" in last):
            raise WindowError(f"'{line}': give the zone as the window's timezone, not on the line")
        try:
            OnCalendar(line, start)
        except OnCalendarError as exc:
            raise WindowError(f"'{line}' is not a valid OnCalendar expression: {exc}") from None
    joined = "\n".join(lines)
    if next(OnCalendar(joined, start), None) is None:
        raise WindowError(f"'{joined}' never matches a date")
    return joined


def check_window(window: Window, now: float) -> Window:
    """The window with its expression in checked form; WindowError says what is wrong."""
    try:
        check_timezone(window.timezone)
    except ScheduleError as exc:
        raise WindowError(str(exc)) from None
    if window.kind == "once":
        if window.starts_at is None or window.ends_at is None:
            raise WindowError("a one-off window needs starts_at and ends_at")
        if window.ends_at <= window.starts_at:
            raise WindowError("ends_at must be after starts_at")
        return window
    if window.duration is None or not MIN_DURATION <= window.duration <= MAX_DURATION:
        raise WindowError(f"duration must be between {MIN_DURATION:g} s and {MAX_DURATION:g} s (31 days)")
    try:
        if window.kind == "cron":
            expression = check_cron(window.expression, window.timezone, now)
        elif window.kind == "oncalendar":
            expression = check_oncalendar_lines(window.expression, window.timezone)
        else:
            expression = check_rrule(window.expression, window.timezone)
    except (ScheduleError, CronSimError) as exc:
        raise WindowError(str(exc)) from None
    return msgspec.structs.replace(window, expression=expression)
