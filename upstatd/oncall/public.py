"""The public shape of an on-call schedule (`sch_…`): one serializer for API
answers, the `data.object` of `on_call_schedule.*` events and the OpenAPI
document; and the bodies the API takes.

A schedule is shown with its overrides not yet ended (at most MAX_ACTIVE_OVERRIDES,
the whole list is /api/on-call/{id}/overrides) and `current`, who is on call at
the moment it is shown (the clock's `now`): that needs the people's names, so
what is shown is a `ScheduleView` read in one go (`view`)."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any, Literal, NamedTuple

import msgspec

from upstatd.metadata import Metadata
from upstatd.heartbeats.schedule import TIMEZONES
from upstatd.oncall import rotations
from upstatd.oncall.layers import DAYS, Layer
from upstatd.oncall.rotations import Override, Schedule
from upstatd.shapes import UNSET, Unset, rule
from upstatd.store import on_call as on_call_store
from upstatd.store import schedules as store
from upstatd.store.schedules import OverrideRow, ScheduleRow

MAX_ACTIVE_OVERRIDES = 1000   # not yet ended, per schedule: the API refuses more (409)
MAX_LAYERS = 20
LATEST = 253402300799
SINCE_LOOKBACK = 35 * 86400.0  # s: how far back `current.since` is looked for (else null)

# the document's patterns say exactly what the core takes (oncall/layers.py), so a generated
# value is one it accepts: lengths within 1-366 days or 1-8784 hours, days of month 01-28 only
# where every month has them (the core takes any real date)
LENGTH_PATTERN = (r"^(daily|weekly|([1-9]|[1-9][0-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-6])d|"
                  r"([1-9]|[1-9][0-9]|[1-9][0-9][0-9]|[1-7][0-9]{3}|8[0-6][0-9]{2}|87[0-7][0-9]|878[0-4])h)$")
WALL_PATTERN = r"^(20[0-9]{2}|21[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]$"
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

Name = Annotated[str, rule(minLength=1, maxLength=200)]
UserId = Annotated[str, rule(minLength=1, maxLength=100, description="A person's id (usr_…)")]
Moment = Annotated[int, msgspec.Meta(ge=0, le=LATEST, description="Unix seconds")]


class RestrictionBody(msgspec.Struct, forbid_unknown_fields=True):
    days: Annotated[list[Annotated[str, rule(enum=list(DAYS))]], rule(minItems=1, maxItems=7)]
    start: Annotated[str, rule(pattern=CLOCK_PATTERN, description="Wall time in the layer's zone, 09:00")]
    end: Annotated[str, rule(pattern=CLOCK_PATTERN, description="At or before start: on the next day")]


class LayerBody(msgspec.Struct, forbid_unknown_fields=True):
    """A rotation (docs/on-call.md): the k-th shift goes to users[k % len]."""
    users: Annotated[list[UserId], rule(maxItems=100)]
    starts_at: Annotated[str, rule(pattern=WALL_PATTERN, description=(
        "The first handoff, wall time in `timezone` without an offset: 2026-03-06T10:00"))]
    length: Annotated[str, rule(pattern=LENGTH_PATTERN, description="daily, weekly, <N>d (1-366) or <N>h (1-8784)")]
    timezone: Annotated[str, rule(enum=TIMEZONES, description="An IANA time zone; default UTC")] = "UTC"
    restrictions: Annotated[list[RestrictionBody], rule(maxItems=20)] = []


Layers = Annotated[list[LayerBody], rule(maxItems=MAX_LAYERS, description="Bottom first: a later layer wins "
                                                                          "where it covers")]


class ScheduleCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    layers: Layers | Unset = UNSET
    metadata: Metadata | Unset = UNSET


class ScheduleUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only what is given changes; layers given replace the stored ones whole."""
    name: Name | Unset = UNSET
    layers: Layers | Unset = UNSET
    metadata: Metadata | Unset = UNSET


class OverrideCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One person covers [starts_at, ends_at), over whatever the layers say."""
    user_id: UserId
    starts_at: Moment
    ends_at: Annotated[int, msgspec.Meta(ge=0, le=LATEST, description="Unix seconds, after starts_at")]


class Restriction(msgspec.Struct):
    days: list[str]
    start: str
    end: str


class LayerShown(msgspec.Struct):
    users: list[str]
    starts_at: str
    length: str
    timezone: str
    restrictions: list[Restriction]


class Source(msgspec.Struct):
    kind: Literal["layer", "override"]
    index: int    # in the schedule's `layers`, or its `overrides` as shown


class Current(msgspec.Struct):
    user_id: str
    name: str | None
    source: Source
    since: int | None    # when this person's shift from this source began (null: over 35 days ago)
    until: int | None    # the next handoff (null: none within 400 days)


class OverrideShown(msgspec.Struct):
    id: str
    object: Literal["on_call_override"]
    schedule_id: str
    user_id: str
    name: str | None
    starts_at: int
    ends_at: int
    managed_by: Literal["config", "api"]
    created_at: int


class OnCallSchedule(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["on_call_schedule"]
    key: str | None
    name: str
    layers: list[LayerShown]
    overrides: list[OverrideShown]     # those not yet ended, oldest first (a later one wins)
    current: Current | None
    metadata: dict[str, str]
    managed_by: Literal["config", "api"]
    created_at: int
    updated_at: int


class ShiftShown(msgspec.Struct):
    user_id: str
    name: str | None
    starts_at: int | float
    ends_at: int | float
    source: Source


class ShiftList(msgspec.Struct):
    object: Literal["list"]
    data: list[ShiftShown]
    has_more: bool       # true: cut at 5,000 shifts; ask again from the last one's ends_at
    url: str


class ScheduleView(NamedTuple):
    """A schedule with what showing it needs: its overrides not yet ended, its people's names."""
    row: ScheduleRow
    overrides: list[OverrideRow]
    names: dict[str, str]

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def seq(self) -> int:
        return self.row.seq

    def schedule(self) -> Schedule:
        return Schedule(self.row.layers, tuple(Override(item.user_id, item.starts_at, item.ends_at)
                                               for item in self.overrides))


def view(conn: sqlite3.Connection, row: ScheduleRow, now: float) -> ScheduleView:
    found = store.overrides(conn, row.seq, ending_after_ms=round(now * 1000), limit=MAX_ACTIVE_OVERRIDES)
    users = [user for layer in row.layers for user in layer.users] + [item.user_id for item in found]
    return ScheduleView(row, found, on_call_store.names(conn, users))


def views_page(conn: sqlite3.Connection, now: float, **query: Any) -> tuple[list[ScheduleView], bool]:
    rows, has_more = store.list_page(conn, **query)
    return [view(conn, row, now) for row in rows], has_more


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def override_object(item: OverrideRow, schedule_id: str, names: dict[str, str]) -> OverrideShown:
    return OverrideShown(id=item.id, object="on_call_override", schedule_id=schedule_id, user_id=item.user_id,
                         name=names.get(item.user_id), starts_at=int(item.starts_at), ends_at=int(item.ends_at),
                         managed_by=item.managed_by, created_at=item.created_at // 1000)


def _layer(layer: Layer) -> LayerShown:
    return LayerShown(list(layer.users), layer.starts_at, layer.length, layer.timezone,
                      [Restriction(list(item.days), item.start, item.end) for item in layer.restrictions])


# schedule -> (asked at, the next handoff from then): next_handoff walks up to 400 days, which for a
# schedule whose person never changes cost 25 ms a read (a list shows up to 100 schedules)
_HANDOFFS: dict[Schedule, tuple[float, float | None]] = {}
_HANDOFFS_KEPT = 4096
_NONE_KEPT = 86400.0   # s: "no handoff within 400 days" is reused a day at most (the horizon slides)


def next_handoff_at(schedule: Schedule, now: float) -> float | None:
    """rotations.next_handoff's instant, remembered: for any t from when it was asked up to the
    handoff itself the answer is the same (nobody changes in between)."""
    kept = _HANDOFFS.get(schedule)
    if kept is not None:
        asked, at = kept
        if asked <= now and (now < at if at is not None else now < asked + _NONE_KEPT):
            return at
    found = rotations.next_handoff(schedule, now)
    at = None if found is None else found[0]
    if len(_HANDOFFS) >= _HANDOFFS_KEPT:
        _HANDOFFS.clear()
    _HANDOFFS[schedule] = (now, at)
    return at


def current(shown: ScheduleView, now: float) -> Current | None:
    schedule = shown.schedule()
    who = rotations.on_call_at(schedule, now)
    if who is None:
        return None
    since = None
    for lookback in (86400.0, 8 * 86400.0, SINCE_LOOKBACK):  # short first: most shifts began lately
        back = rotations.shifts(schedule, now - lookback, now + 1)
        if back and back[-1].user == who.user and tuple(back[-1].source) == tuple(who.source) \
                and back[-1].start > now - lookback:
            since = int(back[-1].start)
            break
    handoff = next_handoff_at(schedule, now)
    return Current(who.user, shown.names.get(who.user), Source(who.source.kind, who.source.index), since,
                   None if handoff is None else int(handoff))


def schedule_object(shown: ScheduleView, now: float) -> OnCallSchedule:
    row = shown.row
    return OnCallSchedule(
        id=row.id, object="on_call_schedule", key=row.key, name=row.name,
        layers=[_layer(layer) for layer in row.layers],
        overrides=[override_object(item, row.id, shown.names) for item in shown.overrides],
        current=current(shown, now), metadata=row.metadata, managed_by=row.managed_by,
        created_at=row.created_at // 1000, updated_at=row.updated_at // 1000)


def shift_objects(shown: ScheduleView, found: list[rotations.Shift]) -> list[ShiftShown]:
    return [ShiftShown(item.user, shown.names.get(item.user), _number(item.start), _number(item.end),
                       Source(item.source.kind, item.source.index)) for item in found]
