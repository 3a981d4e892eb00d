"""Better Stack's incident comments and timeline, over upstatd's incident timeline
(the entries of /api/incidents/{id}/updates): a comment is an entry of kind `comment`.

Better Stack documents its comment routes under /api/v2/incidents/{id}/comments; they
answer under /api/v3 too, beside the v3 incidents. Listing answers every comment (no
pages, as Better Stack's), oldest first, at most MAX_ENTRIES (the newest). upstatd's
timeline is append-only, so changing or deleting a comment is refused (409) once the
comment is found. GET /api/v3/incidents/{id}/timeline is the whole timeline as Better
Stack's `timeline_item`s."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from upstatd import errors as domain
from upstatd.api.bodies import read_json, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack_v3 import _author
from upstatd.api.errors import from_domain
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.ids import parse_seq_id
from upstatd.incidents.public import IncidentUpdate, update_object
from upstatd.store import numbered

MAX_ENTRIES = 1000

# upstatd's entry kinds -> the title of Better Stack's `generic` timeline item
TITLES = {"created": "Incident started", "acknowledged": "Incident acknowledged", "resolved": "Incident resolved",
          "reopened": "Incident reopened", "closed": "Incident closed", "updated": "Incident updated",
          "escalated": "Incident escalated", "grouped": "Incident grouped", "released": "Incident released",
          "runbook_step": "Runbook step done"}


class CommentIn(msgspec.Struct, forbid_unknown_fields=True):
    content: str


def comment_resource(update: IncidentUpdate) -> dict:
    at = jsonapi.iso(update.created_at)
    return jsonapi.resource(update.id, "incident_comment", {
        "id": update.id, "content": update.message, "user_email": update.author, "created_at": at,
        "updated_at": at})  # never edited: upstatd's timeline is append-only


def timeline_item(update: IncidentUpdate) -> dict:
    comment = update.kind == "comment"
    return jsonapi.resource(update.id, "timeline_item", {
        "item_type": "comment" if comment else "generic",
        "at": jsonapi.iso(update.created_at),
        "data": {"title": None if comment else TITLES.get(update.kind, update.kind),
                 "content": {"text": update.message}, "author": update.author, "kind": update.kind}})


async def _incident(request: web.Request) -> Any:
    return await _context(request).incident_commands.get(request.match_info["id"])


async def _comment(request: web.Request) -> IncidentUpdate:
    """The comment the path names, of the incident it names (else a 404)."""
    incident = await _incident(request)
    given = request.match_info["comment_id"]
    seq = parse_seq_id("iup", given)
    row = None if seq is None else await _context(request).read_conn.call(
        lambda conn: numbered.incident_entry(conn, incident.id, seq, "comment"))
    if row is None:
        raise domain.NotFound(f"incident {incident.id} has no comment {given}", "comment_id")
    return update_object(row, incident.id)


async def list_comments(request: web.Request) -> web.Response:
    incident = await _incident(request)
    rows, _ = await _context(request).read_conn.call(
        lambda conn: numbered.incident_timeline(conn, incident.id, kind="comment", limit=MAX_ENTRIES))
    return respond({"data": [comment_resource(update_object(row, incident.id)) for row in rows]})


async def create_comment(request: web.Request) -> web.Response:
    sent = await read_json(request, CommentIn)
    try:
        update = await _context(request).incident_commands.comment(request.match_info["id"], sent.content,
                                                                   _author(request, None))
    except domain.DomainError as exc:
        raise jsonapi.renamed(from_domain(exc), {"message": "content"}) from None
    return respond(jsonapi.one(comment_resource(update)), status=201)


async def get_comment(request: web.Request) -> web.Response:
    return respond(jsonapi.one(comment_resource(await _comment(request))))


async def update_comment(request: web.Request) -> web.Response:
    await read_json(request, CommentIn)
    found = await _comment(request)
    raise domain.Conflict(f"upstatd's incident timeline is append-only: comment {found.id} cannot be changed; "
                          "post the correction as a new comment", "timeline_append_only")


async def delete_comment(request: web.Request) -> web.Response:
    found = await _comment(request)
    raise domain.Conflict(f"upstatd's incident timeline is append-only: comment {found.id} cannot be deleted",
                          "timeline_append_only")


for version in ("v2", "v3"):
    base = f"/api/{version}/incidents/{{id}}/comments"
    for method, path, action, summary, handler, extra in (
            ("GET", base, "read", "Better Stack: an incident's comments, oldest first (no pages)", list_comments,
             {}),
            ("POST", base, "update", "Better Stack: comment on an incident (its timeline)", create_comment,
             {"status": 201, "body": CommentIn}),
            ("GET", f"{base}/{{comment_id}}", "read", "Better Stack: an incident's comment", get_comment, {}),
            ("PATCH", f"{base}/{{comment_id}}", "update", "Better Stack: change a comment (refused: upstatd's "
             "timeline is append-only)", update_comment, {"body": CommentIn}),
            ("DELETE", f"{base}/{{comment_id}}", "update", "Better Stack: delete a comment (refused: upstatd's "
             "timeline is append-only)", delete_comment, {"status": 204})):
        async def bound(request: web.Request, handler: Any = handler) -> web.StreamResponse:
            return await handler(request)
        bound.__name__ = bound.__qualname__ = f"{handler.__name__}_{version}"
        route(method, path, "incidents", action, summary, **extra)(bound)


@route("GET", "/api/v3/incidents/{id}/timeline", "incidents", "read",
       "Better Stack: an incident's timeline, oldest first (no pages)")
async def incident_timeline(request: web.Request) -> web.Response:
    incident = await _incident(request)
    rows, total = await _context(request).read_conn.call(
        lambda conn: numbered.incident_timeline(conn, incident.id, limit=MAX_ENTRIES))
    items = [timeline_item(update_object(row, incident.id)) for row in rows]
    if total > len(rows):  # as Better Stack shortens a long timeline: an item saying how much it left out
        at = items[0]["attributes"]["at"]
        items.insert(0, jsonapi.resource(f"truncated-{at}", "timeline_item", {
            "item_type": "timeline_truncated", "at": at,
            "data": {"title": f"Skipping {total - len(rows)} timeline events"}}))
    return respond({"data": items})
