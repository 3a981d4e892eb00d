"""The public shape of a maintenance window (`mnt_…`): one serializer for API
answers, the `data.object` of `maintenance.*` events and the OpenAPI document;
and the bodies the API takes. A window's `status` and `upcoming` are of the
moment they are shown (the clock's `now`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata
from upstatd.config.maintenance import LATEST, MAX_DESCRIPTION, MAX_TARGETS, RULES
from upstatd.heartbeats.schedule import CRON_PATTERN, ONCALENDAR_PATTERN, TIMEZONES
from upstatd.maintenance import windows
from upstatd.maintenance.windows import MAX_DURATION, MIN_DURATION
from upstatd.shapes import UNSET, Unset, across, number, rule, seconds_between
from upstatd.store.maintenance import WindowRow

UPCOMING = 3  # occurrences shown: the one on now (if any) and the next ones

# forms that always parse and occur again (the check takes every RRULE dateutil reads, DTSTART too);
# INTERVAL only alone: with BYDAY or BYHOUR it can miss every day or hour it names
_DAY, _HOUR, _MINUTE = "(MO|TU|WE|TH|FR|SA|SU)", "(1?[0-9]|2[0-3])", "[0-5]?[0-9]"
RRULE_PATTERN = (rf"^(RRULE:)?FREQ=(YEARLY|MONTHLY|WEEKLY|DAILY)(;INTERVAL=[1-9][0-9]?)?$|"
                 rf"^(RRULE:)?FREQ=(YEARLY|MONTHLY|WEEKLY|DAILY|HOURLY)(;BYDAY={_DAY}(,{_DAY})*)?"
                 rf"(;BYHOUR={_HOUR}(,{_HOUR})*)?(;BYMINUTE={_MINUTE}(,{_MINUTE})*)?$")

Title = Annotated[str, rule(minLength=1, maxLength=200)]
Description = Annotated[str, rule(minLength=1, maxLength=MAX_DESCRIPTION)]
Moment = Annotated[int, msgspec.Meta(ge=0, le=LATEST, description="Unix seconds")]
RRule = Annotated[str, rule(pattern=RRULE_PATTERN, description=(
    "An RFC 5545 RRULE like FREQ=WEEKLY;BYDAY=SU;BYHOUR=3;BYMINUTE=0, optionally after a line "
    "DTSTART:20260301T030000 (wall time in `timezone`). The pattern is a common subset; every rule "
    "dateutil reads works (not FREQ=SECONDLY)"))]
Cron = Annotated[str, rule(pattern=CRON_PATTERN, description=(
    "A 5-field cron expression; the pattern is the numeric form, names and ranges work too"))]
OnCalendar = Annotated[str, rule(pattern=ONCALENDAR_PATTERN, description=(
    "systemd OnCalendar lines, without a zone of their own (`timezone` applies)"))]
Duration = seconds_between(MIN_DURATION, MAX_DURATION)
Timezone = Annotated[str, rule(enum=TIMEZONES, description="An IANA time zone name; default UTC")]
Targets = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=100)]],
                    msgspec.Meta(max_length=MAX_TARGETS, description="Ids (or config keys); shown as ids")]


class Occurrence(msgspec.Struct):
    starts_at: int
    ends_at: int


class MaintenanceWindow(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["maintenance_window"]
    key: str | None
    title: str
    description: str | None
    starts_at: int | None                 # a one-off window's; null for a recurring one
    ends_at: int | None
    rrule: str | None                     # a recurring window's rule: exactly one of the three
    cron: str | None
    oncalendar: str | None
    duration_seconds: int | float | None
    timezone: str
    monitor_ids: list[str]
    heartbeat_ids: list[str]
    group_ids: list[str]                  # groups (grp_): their members while they are members
    metadata: dict[str, str]
    status: Literal["scheduled", "active", "ended"]
    upcoming: list[Occurrence]
    managed_by: Literal["config", "api"]
    created_at: int
    updated_at: int


_FIELDS = [
    ("description", Description | None | Unset, UNSET),
    ("starts_at", Moment | Unset, UNSET),
    ("ends_at", Moment | Unset, UNSET),
    ("rrule", RRule | Unset, UNSET),
    ("cron", Cron | Unset, UNSET),
    ("oncalendar", OnCalendar | Unset, UNSET),
    ("duration_seconds", Duration | Unset, UNSET),
    ("timezone", Timezone | Unset, UNSET),
    ("monitor_ids", Targets | Unset, UNSET),
    ("heartbeat_ids", Targets | Unset, UNSET),
    ("group_ids", Targets | Unset, UNSET),
    ("metadata", metadata.Metadata | Unset, UNSET),
]
WindowCreate = msgspec.defstruct("WindowCreate", [("title", Title), *_FIELDS], kw_only=True,
                                 forbid_unknown_fields=True, module=__name__, namespace={"__doc__": (
                                     "A one-off window (starts_at, ends_at) or a recurring one (exactly one of "
                                     "rrule, cron, oncalendar, with duration_seconds)")})
WindowUpdate = msgspec.defstruct("WindowUpdate", [("title", Title | Unset, UNSET), *_FIELDS], kw_only=True,
                                 forbid_unknown_fields=True, module=__name__, namespace={"__doc__": (
                                     "Only what is given changes. A schedule given replaces the stored one: "
                                     "starts_at with ends_at, or one rule (keeping the stored duration and "
                                     "timezone unless given)")})
_TIMES = ("starts_at", "ends_at")


def _one_off() -> dict:
    return {"required": list(_TIMES), "properties": {name: False for name in (*RULES, "duration_seconds")}}


def _recurring(kind: str) -> dict:
    return {"required": [kind, "duration_seconds"],
            "properties": {other: False for other in (*RULES, *_TIMES) if other != kind}}


def _no_two(names: tuple[str, ...]) -> dict:
    return {"anyOf": [{"required": [a, b]} for i, a in enumerate(names) for b in names[i + 1:]]}


across(WindowCreate, lambda: {"oneOf": [_one_off(), *(_recurring(kind) for kind in RULES)]})
across(WindowUpdate, lambda: {
    "dependentRequired": {"starts_at": ["ends_at"], "ends_at": ["starts_at"]},
    "dependentSchemas": {"starts_at": {"properties": {"duration_seconds": False}}},
    "not": _no_two(("starts_at", *RULES))})


def window_object(row: WindowRow, now: float) -> MaintenanceWindow:
    window = row.window
    upcoming = windows.occurrences(window, now, windows.horizon(now), limit=UPCOMING)
    on = windows.active_at(window, now) is not None
    return MaintenanceWindow(
        id=row.id, object="maintenance_window", key=row.key, title=row.title, description=row.description,
        starts_at=None if window.starts_at is None else int(window.starts_at),
        ends_at=None if window.ends_at is None else int(window.ends_at),
        rrule=window.expression if window.kind == "rrule" else None,
        cron=window.expression if window.kind == "cron" else None,
        oncalendar=window.expression if window.kind == "oncalendar" else None,
        duration_seconds=None if window.duration is None else number(window.duration), timezone=window.timezone,
        monitor_ids=list(row.monitor_ids), heartbeat_ids=list(row.heartbeat_ids),
        group_ids=list(row.group_ids), metadata=dict(row.metadata),
        status="active" if on else ("scheduled" if upcoming else "ended"),
        upcoming=[Occurrence(int(item.start), int(item.end)) for item in upcoming],
        managed_by=row.managed_by, created_at=row.created_at // 1000, updated_at=row.updated_at // 1000)


def window_data(row: WindowRow, now: float) -> dict[str, Any]:
    """The window as `data.object` of an event."""
    return msgspec.to_builtins(window_object(row, now))
