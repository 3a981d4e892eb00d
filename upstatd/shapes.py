"""Pieces the public shapes of monitors and heartbeats share: the type aliases
their Structs use, the fields every subject carries, and the time and number
conversions of the API (Unix seconds; whole numbers shown as integers)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from upstatd import metadata
from upstatd.config.check import SEVERITIES

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
Severity = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SEVERITIES)})]
Seconds = Annotated[float, msgspec.Meta(description="seconds")]


def rule(**json_schema) -> msgspec.Meta:
    """A constraint that a validator (config/*.py, the probes) applies with its own
    message, carried to the JSON Schema / OpenAPI document only: decoding does not
    check it, so the API's error stays the validator's (422 naming the param).
    `Annotated[str, rule(minLength=1, maxLength=200)]`."""
    return msgspec.Meta(extra_json_schema=json_schema)


def seconds_between(low: float, high: float) -> Any:
    """A number of seconds the config chain bounds (duration(min=low, max=high))."""
    return Annotated[float, msgspec.Meta(description="seconds", extra_json_schema={"minimum": low,
                                                                                    "maximum": high})]


Tags = Annotated[list[Annotated[str, rule(minLength=1)]], msgspec.Meta(description="Labels, each a non-empty string")]

# Rules across the fields of a Struct that no one field's type can carry (exactly one of
# period_seconds, cron, oncalendar), as JSON Schema keywords added to the Struct's schema in
# the OpenAPI document (api/openapi.py). Declared beside the Struct with `across(Struct, ...)`;
# the validator that applies the rule stays the one that words its error.
ACROSS: dict[str, Any] = {}


def across(struct: type, schema: Any) -> None:
    """`schema`: JSON Schema keywords (or a callable making them) for `struct`'s component."""
    ACROSS[struct.__name__] = schema


def at_most_one_of(*names: str) -> dict:
    """No two of `names` present with non-null values."""
    set_ = {"not": {"type": "null"}}
    return {"not": {"anyOf": [{"required": [a, b], "properties": {a: set_, b: set_}}
                              for i, a in enumerate(names) for b in names[i + 1:]]}}


class NoBody(msgspec.Struct, forbid_unknown_fields=True):
    """The body of an action that takes no parameters: unknown ones are refused."""


class ChannelRef(msgspec.Struct, forbid_unknown_fields=True):
    """UptimeGuard's form of an alert channel on a monitor: {"id", "type"} (the type is ignored)."""
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    type: str | msgspec.UnsetType = msgspec.UNSET


class ChannelShown(msgspec.Struct):
    id: str
    type: str | None


AlertChannels = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | ChannelRef],
                          msgspec.Meta(max_length=50, description="Alert channels by id (ch_…) or config key, or "
                                       "as [{\"id\": \"ch_…\"}]; null: defaults.alert_channels, []: none")]
PolicyRef = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description=(
    "The escalation policy (esc_…, or a config key) of its incidents; null: the default policy"))]
ServiceRef = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description=(
    "The catalog service (svc_…) it belongs to; null: none"))]
ReminderInterval = Annotated[float, msgspec.Meta(ge=60, le=7 * 86400, description="seconds between reminders "
                             "of an open, unacknowledged incident (null: each channel's own)")]

# the labels of a monitor or heartbeat in its create and update bodies
LABEL_FIELDS = [
    ("severity", Severity | Unset, UNSET),
    ("tags", Tags | Unset, UNSET),
    ("metadata", metadata.Metadata | Unset, UNSET),
    ("alert_channels", AlertChannels | None | Unset, UNSET),
    ("reminder_interval_seconds", ReminderInterval | None | Unset, UNSET),
    ("escalation_policy", PolicyRef | None | Unset, UNSET),
    ("service_id", ServiceRef | None | Unset, UNSET),
]
# and in their answers
ROUTING_SHOWN = [
    ("alert_channels", list[ChannelShown] | None),
    ("reminder_interval_seconds", int | float | None),
]


def routing_in(shape: dict, body: Any) -> None:
    """A body's alert_channels and reminder_interval_seconds into the file's form (null: the default)."""
    from upstatd.alerts import refs
    for field, name, value in (("alert_channels", "alert_channels", lambda v: refs.given(v)),
                               ("reminder_interval_seconds", "reminder_interval", lambda v: v),
                               ("escalation_policy", "escalation_policy", lambda v: v),
                               ("service_id", "service", lambda v: v)):
        given = getattr(body, field)
        if given is None:
            shape.pop(name, None)
        elif given is not UNSET:
            shape[name] = value(given)


def routing_shown(spec: dict) -> dict:
    from upstatd.alerts import refs
    interval = spec.get("reminder_interval")
    return {"alert_channels": refs.shown(spec.get("alert_channels")),
            "reminder_interval_seconds": None if interval is None else number(interval)}


def seconds(ms: int | None) -> int | None:
    """Unix ms -> Unix seconds (the API's timestamps)."""
    return None if ms is None else ms // 1000


def number(value: float) -> int | float:
    """30.0 -> 30 (an interval or grace shown as it was given)."""
    return int(value) if float(value).is_integer() else value
