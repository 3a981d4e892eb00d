"""When a heartbeat expects its next ping: every `period`, on a cron
expression, or on systemd OnCalendar lines, in the heartbeat's time zone.

Cron arithmetic is cronsim's and OnCalendar's is oncalendar's (the libraries
Healthchecks runs on): they handle daylight-saving changes as Debian's cron
does (a slot in the skipped hour runs right after the jump; a fixed-time slot
in the repeated hour runs once). Only `next_after` is ours.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from cronsim import CronSim, CronSimError
from oncalendar import OnCalendar, OnCalendarError

KINDS = ("period", "cron", "oncalendar")


def _field(value: str, step: str) -> str:
    """One numeric cron field: *, */step, or a list of values."""
    return rf"(\*|\*/({step})|({value})(,({value}))*)"


# For the OpenAPI document: patterns of forms that always parse and fire again (the schedule
# checks below accept more: names, ranges, @daily, every OnCalendar form).
_MINUTE, _HOUR = "[0-5]?[0-9]", "1?[0-9]|2[0-3]"
_DAY, _MONTH, _WEEKDAY = "[1-9]|1[0-9]|2[0-8]", "[1-9]|1[0-2]", "[0-6]"
CRON_PATTERN = "^" + " +".join((
    _field(_MINUTE, "[1-9]|[1-5][0-9]"), _field(_HOUR, "[1-9]|1[0-9]|2[0-3]"), _field(_DAY, _DAY),
    _field(_MONTH, "[1-9]|1[0-2]"), _field(_WEEKDAY, "[1-6]"))) + "$"
_WEEKDAYS = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
ONCALENDAR_PATTERN = (rf"^((minutely|hourly|daily|weekly|monthly|yearly)|"
                      rf"({_WEEKDAYS}(,{_WEEKDAYS})* )?(\*-\*-\* )?([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)$")


def _zones() -> list[str]:
    import zoneinfo
    return sorted(zoneinfo.available_timezones())


TIMEZONES = _zones()


class ScheduleError(ValueError):
    pass


class Schedule(msgspec.Struct, frozen=True):
    kind: str                  # period | cron | oncalendar
    period: float | None = None        # seconds, for period
    expression: str | None = None      # the cron expression or the OnCalendar lines
    timezone: str = "UTC"

    def next_after(self, wall: float) -> float | None:
        """The first expected ping time strictly after `wall` (Unix seconds);
        None when the expression never fires again (OnCalendar stops at 2200)."""
        if self.kind == "period":
            return wall + self.period
        start = datetime.fromtimestamp(wall, zone(self.timezone))
        slots = CronSim(self.expression, start) if self.kind == "cron" else OnCalendar(self.expression, start)
        # Both libraries walk fixed-time expressions in naive local time, so a start in
        # the second pass of a repeated hour (fold=1) loses its fold: "30 3 * * *" from
        # 03:10 EET (the second 03:10) gives 03:30 EEST, 40 minutes *before* the start.
        # That slot already ran (a fixed time in the repeated hour runs once); skip it.
        for slot in slots:
            at = slot.timestamp()
            if at > wall:
                return at
        return None


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def check_timezone(name: str) -> str:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone '{name}' (use an IANA name like Europe/Riga or UTC)") from None
    return name


def check_cron(expression: str, timezone: str, now: float) -> str:
    """A 5-field cron expression that fires at least once more."""
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(f"'{expression}' is not a 5-field cron expression "
                            f"(minute hour day-of-month month day-of-week), it has {len(fields)} "
                            f"field{'' if len(fields) == 1 else 's'}")
    start = datetime.fromtimestamp(now, zone(timezone))
    try:
        upcoming = next(CronSim(expression, start), None)
    except CronSimError as exc:
        # cronsim says "bad day-of-month" both for 32 and for a day none of the months has
        # (30 in February): tell the second apart, each field is valid on its own there.
        if _cron_parses(" ".join(fields[:3] + ["*", fields[4]]), start) \
                and _cron_parses(f"0 0 1 {fields[3]} *", start):
            raise ScheduleError(f"'{expression}' never matches a date: none of its months has day "
                                f"{fields[2]}") from None
        raise ScheduleError(f"'{expression}' is not a valid cron expression: {_lower(str(exc))}") from None
    if upcoming is None:
        raise ScheduleError(f"'{expression}' never matches a date")
    return " ".join(fields)


def _cron_parses(expression: str, start: datetime) -> bool:
    try:
        CronSim(expression, start)
    except CronSimError:
        return False
    return True


def check_oncalendar(expression: str, timezone: str, now: float) -> str:
    """One or more OnCalendar lines (as `systemd-analyze calendar` takes them)."""
    lines = [line.strip() for line in expression.splitlines() if line.strip()]
    if not lines:
        raise ScheduleError("must have at least one OnCalendar line")
    start = datetime.fromtimestamp(now, zone(timezone))
    for line in lines:
        try:
            OnCalendar(line, start)
        except OnCalendarError as exc:
            words = line.split()
            if len(words) > 1 and "/" in words[-1]:  # a per-line zone oncalendar did not know
                try:
                    check_timezone(words[-1])
                except ScheduleError as bad_zone:
                    raise ScheduleError(f"'{line}': {bad_zone}") from None
            raise ScheduleError(f"'{line}' is not a valid OnCalendar expression: {_lower(str(exc))}") from None
    joined = "\n".join(lines)
    if next(OnCalendar(joined, start), None) is None:
        raise ScheduleError(f"'{joined}' never matches a date before 2200")
    return joined


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]
