"""Pieces the public shapes of monitors and heartbeats share: the type aliases
their Structs use, the fields every subject carries, and the time and number
conversions of the API (Unix seconds; whole numbers shown as integers)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from upstatd import metadata
from upstatd.config.check import SEVERITIES

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
Severity = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SEVERITIES)})]
Seconds = Annotated[float, msgspec.Meta(description="seconds")]

class NoBody(msgspec.Struct, forbid_unknown_fields=True):
    """The body of an action that takes no parameters: unknown ones are refused."""


# the labels of a monitor or heartbeat in its create and update bodies
LABEL_FIELDS = [
    ("severity", Severity | Unset, UNSET),
    ("tags", list[str] | Unset, UNSET),
    ("metadata", metadata.Metadata | Unset, UNSET),
]


def seconds(ms: int | None) -> int | None:
    """Unix ms -> Unix seconds (the API's timestamps)."""
    return None if ms is None else ms // 1000


def number(value: float) -> int | float:
    """30.0 -> 30 (an interval or grace shown as it was given)."""
    return int(value) if float(value).is_integer() else value
