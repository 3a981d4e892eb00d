"""The public shapes of runbooks (`rbk_…`): one serializer each for API answers,
the `data.object` of `runbook.*` events and the OpenAPI document (a runbook, one
of its versions, a runbook as an incident shows it with the steps done on it);
and the bodies the API takes. Bounds are carried to the document only
(shapes.rule): runbooks/commands.py words the error (422 naming the param)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata
from upstatd.config.runbooks import MAX_BODY, MAX_LINKS, MAX_STEP, MAX_STEPS
from upstatd.incidents.public import Author, IncidentObject
from upstatd.shapes import UNSET, Tags, Unset, rule
from upstatd.store.runbook_reads import LinkedRunbook
from upstatd.store.runbooks import RunbookRow, VersionRow

TARGET_PATTERN = "^(svc|mon|hbt|esc)_[A-Za-z0-9]+$"
Title = Annotated[str, rule(minLength=1, maxLength=200)]
Body = Annotated[str, rule(maxLength=MAX_BODY, description="Markdown")]
Step = Annotated[str, rule(minLength=1, maxLength=MAX_STEP, pattern=r"\S")]
Steps = Annotated[list[Step], rule(minItems=1, maxItems=MAX_STEPS, description="What to do, in order")]
LinkedTo = Annotated[list[Annotated[str, rule(pattern=TARGET_PATTERN)]], rule(maxItems=MAX_LINKS, description=(
    "Ids of what the runbook is for: services (svc_…), monitors (mon_…), heartbeats (hbt_…), escalation "
    "policies (esc_…); each must exist"))]


class Runbook(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["runbook"]
    title: str
    body: str
    steps: list[str]
    tags: list[str]
    linked_to: list[str]           # ids of existing targets
    version: int                   # the current one; every one is at /api/runbooks/{id}/versions/{version}
    managed_by: Literal["config", "api"]
    metadata: dict[str, str]
    created_at: int
    updated_at: int


class RunbookVersion(msgspec.Struct, kw_only=True):
    object: Literal["runbook_version"]
    runbook_id: str
    version: int
    title: str
    body: str
    steps: list[str]
    tags: list[str]
    author: str                    # the token's name, or "config"
    created_at: int


class RunbookCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A runbook (version 1)"""
    title: Title
    steps: Steps
    body: Body = ""
    tags: Tags = []
    linked_to: LinkedTo = []
    metadata: metadata.Metadata | Unset = UNSET


class RunbookUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only what is given changes; a change of title, body, steps or tags is a new version (the
    previous one stays readable); linked_to given replaces the links; metadata merges"""
    title: Title | Unset = UNSET
    steps: Steps | Unset = UNSET
    body: Body | Unset = UNSET
    tags: Tags | Unset = UNSET
    linked_to: LinkedTo | Unset = UNSET
    metadata: metadata.Metadata | Unset = UNSET


class StepDone(msgspec.Struct, kw_only=True):
    by: str                        # who marked it done
    at: int


class IncidentRunbookStep(msgspec.Struct, kw_only=True):
    number: int                    # 1-based, as in POST .../steps/{step}
    text: str
    done: StepDone | None


class IncidentRunbook(msgspec.Struct, kw_only=True):
    id: str
    title: str
    version: int
    via: str                       # the mon_/hbt_/svc_/esc_ id it is linked through
    url: str                       # the API path of the runbook
    steps: list[IncidentRunbookStep]


class IncidentDetail(IncidentObject, kw_only=True):
    """An incident as GET /api/incidents/{id} shows it: with its runbooks."""
    runbooks: list[IncidentRunbook]


class StepBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    author: Author | None = None


def runbook_object(row: RunbookRow) -> Runbook:
    content = row.content
    return Runbook(id=row.id, object="runbook", title=content.title, body=content.body, steps=list(content.steps),
                   tags=list(content.tags), linked_to=list(row.linked_to), version=row.version,
                   managed_by=row.managed_by, metadata=dict(row.metadata), created_at=row.created_at // 1000,
                   updated_at=row.updated_at // 1000)


def runbook_data(row: RunbookRow) -> dict[str, Any]:
    """The runbook as `data.object` of an event."""
    return msgspec.to_builtins(runbook_object(row))


def version_object(row: VersionRow) -> RunbookVersion:
    content = row.content
    return RunbookVersion(object="runbook_version", runbook_id=row.runbook_id, version=row.version,
                          title=content.title, body=content.body, steps=list(content.steps),
                          tags=list(content.tags), author=row.author, created_at=row.created_at // 1000)


def incident_runbook(linked: LinkedRunbook) -> IncidentRunbook:
    done = {mark["step"]: mark for mark in linked.steps_done}
    steps = [IncidentRunbookStep(number=number, text=text, done=StepDone(by=done[number]["done_by"],
                                                                          at=done[number]["done_at"] // 1000)
                                 if number in done else None)
             for number, text in enumerate(linked.steps, 1)]
    return IncidentRunbook(id=linked.id, title=linked.title, version=linked.version, via=linked.via,
                           url=f"/api/runbooks/{linked.id}", steps=steps)


def incident_detail(incident: IncidentObject, runbooks: list[LinkedRunbook]) -> IncidentDetail:
    """The incident's public shape with its runbooks (whatever fields the shape has)."""
    fields = {name: getattr(incident, name) for name in incident.__struct_fields__}
    return IncidentDetail(**fields, runbooks=[incident_runbook(linked) for linked in runbooks])

