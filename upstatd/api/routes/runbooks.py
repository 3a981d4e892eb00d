"""/api/runbooks: runbooks (`rbk_…`), the procedures to follow when something
fails: a markdown body, ordered steps, tags, and what each is for (`linked_to`:
services, monitors, heartbeats, escalation policies). Permission resource:
`runbooks`.

- Every version is kept: a change of title, body, steps or tags is the next
  `version`, its `author` the token's name; `/versions` lists them newest first
  and `/versions/{version}` reads one.
- Runbooks from the config file (`managed_by: "config"`) can be read; changes
  answer 409 managed_by_config naming the file and key.
- An incident shows the runbooks of its subject, its service, that service's
  dependencies and its escalation policy (GET /api/incidents/{id}, `runbooks`);
  POST /api/incidents/{id}/runbooks/{runbook_id}/steps/{step} (permission
  incidents:update) marks a step done, in the incident's timeline.
- The use cases are runbooks/commands.py, the shapes runbooks/public.py.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from upstatd.api import openapi, pagination
from upstatd.api.bodies import read_json, respond
from upstatd.api.errors import invalid
from upstatd.api.pagination import Limit, ListQuery
from upstatd.api.routes import Resource, partial_update, route
from upstatd.api.routes import context as _context
from upstatd.api.routes.incidents import _author
from upstatd.incidents.public import incident_object
from upstatd.runbooks.public import (IncidentDetail, Runbook, RunbookCreate, RunbookUpdate, RunbookVersion,
                                     StepBody, incident_detail, runbook_object, version_object)
from upstatd.store import runbooks as store

NUMBER = {"type": "string", "pattern": "^[0-9]{1,9}$"}
VersionNumber = Annotated[int, msgspec.Meta(ge=1, description="A version number from a previous page")]


class RunbookListQuery(ListQuery, forbid_unknown_fields=True):
    tag: Annotated[str, msgspec.Meta(min_length=1, description="Only runbooks with this tag")] | None = None
    linked_to: Annotated[str, msgspec.Meta(min_length=1, description=(
        "Only runbooks linked to this id (svc_…, mon_…, hbt_…, esc_…)"))] | None = None


class VersionListQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Limit = 10
    starting_after: VersionNumber | None = None   # the page after this version (older ones)
    ending_before: VersionNumber | None = None    # the page before this version (newer ones)

    def __post_init__(self) -> None:
        if self.starting_after is not None and self.ending_before is not None:
            raise invalid("give starting_after or ending_before, not both", "ending_before")


RunbookList = pagination.list_of(Runbook, "RunbookList")
RunbookVersionList = pagination.list_of(RunbookVersion, "RunbookVersionList")


def _number(request: web.Request, name: str) -> int:
    """A path parameter that is a positive whole number (400 naming it when it is not one)."""
    text = request.match_info[name]
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise invalid(f"{name} must be a whole number (1, 2, ...), got '{text[:40]}'", name)
    return int(text)


runbooks = Resource("/api/runbooks", "runbooks", lambda context: context.runbook_commands,
                    lambda context, row: runbook_object(row))


@route("POST", "/api/runbooks", "runbooks", "create", "Create a runbook (version 1, by the token's name)",
       body=RunbookCreate, response=Runbook, status=201)
async def create(request: web.Request) -> web.Response:
    body = await read_json(request, RunbookCreate)
    changed = await _context(request).runbook_commands.create(body, _author(request, None))
    return respond(runbook_object(changed.row), status=201)


runbooks.list("List runbooks, newest first", query=RunbookListQuery, response=RunbookList, page=store.list_page)
runbooks.retrieve("Retrieve a runbook (its current version)", response=Runbook)


@partial_update("/api/runbooks/{id}", "runbooks",
                "Update a runbook: only the fields given change; a change of title, body, steps or tags is a "
                "new version (the previous one stays readable); linked_to given replaces the links; metadata "
                "merges", body=RunbookUpdate, response=Runbook)
async def update(request: web.Request) -> web.Response:
    body = await read_json(request, RunbookUpdate)
    changed = await _context(request).runbook_commands.update(request.match_info["id"], body,
                                                              _author(request, None))
    return respond(runbook_object(changed.row))


runbooks.delete("Delete a runbook and its versions")
runbooks.children("versions", "A runbook's versions, newest first", query=VersionListQuery,
                  response=RunbookVersionList, page=store.versions_page, show=lambda row, _: version_object(row),
                  owner=lambda row: row.id)


@openapi.path_schema(version=NUMBER)
@route("GET", "/api/runbooks/{id}/versions/{version}", "runbooks", "read",
       "One version of a runbook (404 naming version when it has none of that number)", response=RunbookVersion)
async def retrieve_version(request: web.Request) -> web.Response:
    commands = _context(request).runbook_commands
    found = await commands.version(request.match_info["id"], _number(request, "version"))
    return respond(version_object(found))


# -- on incidents -----------------------------------------------------------------------

async def incident_answer(request: web.Request, incident_id: str) -> IncidentDetail:
    """An incident with its runbooks, as GET /api/incidents/{id} shows it."""
    ctx = _context(request)
    incident = await ctx.incident_commands.get(incident_id)
    return incident_detail(incident_object(incident), await ctx.runbook_commands.for_incident(incident.id))


@openapi.path_schema(step=NUMBER)
@openapi.responds(422)
@route("POST", "/api/incidents/{id}/runbooks/{runbook_id}/steps/{step}", "incidents", "update",
       "Mark step `step` (1-based) of one of the incident's runbooks done, by the token's name (or `author`): "
       "a timeline entry of kind runbook_step and incident.updated; 404 for a runbook the incident does not "
       "show, 422 naming step out of range, 409 step_already_done", body=StepBody, response=IncidentDetail)
async def mark_step(request: web.Request) -> web.Response:
    body = await read_json(request, StepBody)
    step = _number(request, "step")
    await _context(request).runbook_commands.mark_step(request.match_info["id"], request.match_info["runbook_id"],
                                                        step, _author(request, body.author))
    return respond(await incident_answer(request, request.match_info["id"]))
