"""The public shape of an incident and its timeline entries: one serializer
each, used for API answers, the `data.object` of incident events (and so
webhooks), and the OpenAPI document; and the shapes the API accepts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata
from upstatd.ids import seq_id
from upstatd.incidents import lifecycle
from upstatd.incidents.lifecycle import SEVERITIES, STATUSES
from upstatd.monitors.public import Check
from upstatd.shapes import across, seconds
from upstatd.store import incidents as store
from upstatd.store.incidents import SOURCES, Incident, duration_seconds

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
TYPES = (*dict.fromkeys(lifecycle.TYPES.values()), "manual")
MAX_AFFECTED = 100
FAILED_CHECKS = 20  # per monitor, newest first, in GET .../affected-checks

Severity = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SEVERITIES)})]
Status = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(STATUSES)})]
Source = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SOURCES)})]
IncidentType = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(TYPES)})]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Message = Annotated[str, msgspec.Meta(max_length=5000)]
Author = Annotated[str, msgspec.Meta(min_length=1, max_length=100,
                                     description="Who made the change; default: the token's name")]


# -- shapes ---------------------------------------------------------------------------

class IncidentObject(msgspec.Struct):
    id: str
    object: Literal["incident"]
    status: Status
    severity: Severity
    type: str
    source: Source
    title: str
    error_message: str | None
    affected_monitor_ids: list[str]
    started_at: int
    acknowledged_at: int | None
    acknowledged_by: str | None
    resolved_at: int | None
    closed_at: int | None
    duration_seconds: float | None
    metadata: dict[str, str]
    created_at: int
    updated_at: int
    # root-cause grouping (docs/catalog-grouping.md): the root incident that caused this one, the ones
    # this one caused, and until when (Unix seconds) its alerts wait for a failing dependency
    caused_by: str | None
    caused_incidents: list[str]
    held_until: int | None
    # a monitor probed from several regions (docs/regions.md): the regions that saw it fail; null otherwise
    regions: list[str] | None


class IncidentUpdate(msgspec.Struct):
    id: str
    object: Literal["incident_update"]
    incident_id: str
    kind: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(store.UPDATE_KINDS)})]
    status: Status
    message: str | None
    author: str
    created_at: int


class AffectedCheck(msgspec.Struct):
    object: Literal["affected_check"]
    monitor_id: str
    kind: Literal["monitor", "heartbeat"]
    name: str | None             # null: the monitor or heartbeat was deleted since
    current_state: str | None
    failed_checks: list[Check]   # monitors: failed checks during the incident, newest first (at most 20)


class AffectedChecks(msgspec.Struct):
    object: Literal["list"]
    data: list[AffectedCheck]
    url: str


class IncidentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    severity: Severity = "major"
    type: IncidentType = "manual"
    error_message: Message | None = None
    # ids of existing monitors and heartbeats (commands.known_subjects: 422, its message)
    affected_monitor_ids: Annotated[list[Annotated[str, msgspec.Meta(extra_json_schema={
        "pattern": "^(mon|hbt)_[A-Za-z0-9]+$"})]], msgspec.Meta(
            extra_json_schema={"maxItems": MAX_AFFECTED},
            description="Ids of existing monitors and heartbeats (mon_…, hbt_…)")] = []
    metadata: metadata.Metadata | Unset = UNSET
    message: Message | None = None    # the first timeline entry's text
    author: Author | None = None


class IncidentPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title | Unset = UNSET
    severity: Severity | Unset = UNSET
    message: Message | None | Unset = UNSET         # the incident's message (error_message)
    error_message: Message | None | Unset = UNSET   # the same, by its field name
    metadata: metadata.Metadata | Unset = UNSET
    author: Author | None = None


# message and error_message are one field: commands.update refuses two different values (422)
across(IncidentPatch, {"not": {"required": ["message", "error_message"]}})


class TransitionBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message: Message | None = None   # shown on the timeline entry
    author: Author | None = None


class StatusBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: Status
    message: Message | None = None
    author: Author | None = None


class CommentBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
    author: Author | None = None



def incident_object(incident: Incident) -> IncidentObject:
    return IncidentObject(
        incident.id, "incident", incident.status, incident.severity, incident.type, incident.source,
        incident.title, incident.error_message, list(incident.affected), seconds(incident.started_at),
        seconds(incident.acknowledged_at), incident.acknowledged_by, seconds(incident.resolved_at),
        seconds(incident.closed_at), duration_seconds(incident), dict(incident.metadata),
        seconds(incident.created_at), seconds(incident.updated_at), incident.caused_by,
        list(incident.caused_incidents), seconds(incident.held_until),
        None if incident.regions is None else list(incident.regions))


def update_object(row: Any, incident_id: str) -> IncidentUpdate:
    """A timeline row (store.UPDATE_COLUMNS) as the API shows it."""
    seq, _, created_at, kind, status, message, author = row
    return IncidentUpdate(seq_id("iup", seq), "incident_update", incident_id, kind, status, message, author,
                          created_at // 1000)


def as_json(incident: Incident) -> dict:
    """The data.object of incident events."""
    return msgspec.to_builtins(incident_object(incident))
