"""Better Stack's status pages under `/api/v2/status-pages`, with their sections and
resources, over upstatd's status pages (`stp_…`, /api/status-pages): the status page
commands and serializers, each page's state as its public page shows it (pages/view.py).

- A page: company_name is upstatd's name, subdomain its slug (/status/<slug>);
  a page made here is published at once, as Better Stack's are.
- A resource shows a Monitor, Heartbeat, MonitorGroup or HeartbeatGroup (upstatd's
  monitor_id, heartbeat_id, group_id); widget_type plain hides the uptime bars,
  history shows them; left out of a section, it goes to the page's first one.
- Fields upstatd takes and drops are IGNORED_*; those it refuses unless empty (what the
  page would show or who may see it: custom code, an IP allow list) are REFUSED_*.
Permission resource: `status_pages`, as /api/status-pages.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec
from aiohttp import web
from msgspec import UNSET, UnsetType

from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack import into, speaks
from upstatd.api.errors import unprocessable
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.pages import bars, view
from upstatd.status_pages.commands import find
from upstatd.status_pages.public import (ResourceCreate, ResourceUpdate, SectionCreate, SectionUpdate,
                                         StatusPageCreate, StatusPageUpdate, page_object, resource_object,
                                         section_object)
from upstatd.store import groups, numbered
from upstatd.store import status_page_view
from upstatd.store import status_pages as store

PAGES = "/api/v2/status-pages"
PERMISSION = "status_pages"
IGNORED_PAGE = ("company_url", "contact_url", "history", "min_incident_length", "subscribable",
                "hide_from_search_engines", "design", "theme", "layout", "automatic_reports", "status_page_group_id",
                "team_name", "announcement_embed_visible", "announcement_embed_css", "announcement_embed_link")
REFUSED_PAGE = {
    "logo_url": "upload the image to PUT /api/status-pages/{id}/logo",
    "custom_css": "upstatd's pages take no custom code (accent color: /api/status-pages)",
    "custom_javascript": "upstatd's pages take no custom code",
    "google_analytics_id": "upstatd's pages load nothing from third parties",
    "announcement": "publish a status report instead (/api/status-pages/{id}/reports)",
    "ip_allowlist": "upstatd's pages are public or password protected (password)",
    "navigation_links": "upstatd's pages have no navigation links",
}
IGNORED_RESOURCE = ("mark_as_down_for", "mark_as_down_metadata_rule", "mark_as_degraded_for",
                    "mark_as_degraded_metadata_rule", "fixed_position")
# Better Stack's resource_type -> upstatd's field
SUBJECT_FIELDS = {"Monitor": "monitor_id", "Heartbeat": "heartbeat_id", "MonitorGroup": "group_id",
                  "HeartbeatGroup": "group_id"}
WIDGETS = {"plain": False, "history": True}     # -> show_uptime
AGGREGATE = {"operational": "operational", "degraded": "degraded", "partial_outage": "downtime",
             "major_outage": "downtime", "maintenance": "maintenance"}
STATUS = {"operational": "operational", "degraded": "degraded", "down": "downtime", "maintenance": "maintenance",
          "unknown": "not_monitored"}
PAGE_FIELDS = {"name": "company_name", "slug": "subdomain", "custom_domain": "custom_domain",
               "timezone": "timezone", "password": "password"}
SECTION_FIELDS = {"name": "name", "position": "position"}
RESOURCE_FIELDS = {"section_id": "status_page_section_id", "monitor_id": "resource_id",
                   "heartbeat_id": "resource_id", "group_id": "resource_id", "public_name": "public_name",
                   "position": "position", "show_uptime": "widget_type"}


def _fields(names: Any) -> list[tuple[str, Any, Any]]:
    return [(name, Any, UNSET) for name in names]


PageIn = msgspec.defstruct("PageIn", [
    ("company_name", str | UnsetType, UNSET),
    ("subdomain", str | UnsetType, UNSET),
    ("custom_domain", str | None | UnsetType, UNSET),
    ("timezone", str | UnsetType, UNSET),
    ("password", str | None | UnsetType, UNSET),
    ("password_enabled", bool | UnsetType, UNSET),
    *_fields(IGNORED_PAGE), *_fields(REFUSED_PAGE),
], kw_only=True, forbid_unknown_fields=True, module=__name__)


class SectionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | UnsetType = UNSET
    position: int | UnsetType = UNSET


ResourceIn = msgspec.defstruct("ResourceIn", [
    ("status_page_section_id", str | int | None | UnsetType, UNSET),
    ("widget_type", str | UnsetType, UNSET),
    ("history", bool | UnsetType, UNSET),          # deprecated by Better Stack for widget_type
    ("resource_id", str | int | None | UnsetType, UNSET),
    ("resource_type", str | UnsetType, UNSET),
    ("public_name", str | UnsetType, UNSET),
    ("explanation", str | None | UnsetType, UNSET),
    ("position", int | UnsetType, UNSET),
    *_fields(IGNORED_RESOURCE),
], kw_only=True, forbid_unknown_fields=True, module=__name__)


# -- what a page shows ---------------------------------------------------------------------------

class Shown(NamedTuple):
    """A page's figures as its public page has them."""
    aggregate_state: str
    resources: dict[str, Any]    # spr_ id -> its render.ResourceView
    day_seconds: dict[str, float]  # a bar's date -> how long its day is (today: until now)


def shown(conn: Any, page: store.PageRow, now_ms: int) -> Shown:
    found = status_page_view.page_view(conn, page.slug, now_ms, drafts=True)
    built = view.build(conn, found, now_ms, "")
    resources = {}
    for section, rendered in zip(found.sections, built.sections):
        for resource, figures in zip(section.resources, rendered.resources):
            resources[resource.id] = figures
    days = {date: (end - start) / 1000 for date, start, end in bars.day_bounds(now_ms, ZoneInfo(page.timezone))}
    return Shown(AGGREGATE.get(built.banner, "operational"), resources, days)


def page_resource(row: store.PageRow, figures: Shown) -> dict:
    page = page_object(row)
    return jsonapi.resource(page.id, "status_page", {
        "company_name": page.name, "company_url": None, "contact_url": None, "logo_url": page.logo_url,
        "timezone": page.timezone, "subdomain": page.slug, "custom_domain": page.custom_domain,
        "custom_css": None, "custom_javascript": None, "google_analytics_id": None, "min_incident_length": 0,
        "announcement": None, "announcement_embed_visible": False, "announcement_embed_css": None,
        "announcement_embed_link": None, "automatic_reports": False, "subscribable": False,
        "hide_from_search_engines": False, "password_enabled": page.password_protected, "history": 90,
        "aggregate_state": figures.aggregate_state, "design": "v2", "theme": "light", "layout": "vertical",
        "navigation_links": [], "status_page_group_id": None, "ip_allowlist": [],
        "created_at": jsonapi.iso(page.created_at), "updated_at": jsonapi.iso(page.updated_at),
    })


def section_resource(row: store.SectionRow, page_id: str) -> dict:
    section = section_object(row, page_id)
    return jsonapi.resource(section.id, "status_page_section", {
        "name": section.name, "position": section.position, "status_page_id": page_id})


def _history(shown_bars: list | None, day_seconds: dict[str, float]) -> list[dict]:
    """upstatd's daily bars as Better Stack's status_history: downtime is the day's share not up
    times the day's length (today's: until now)."""
    days = []
    for bar in shown_bars or ():
        status = ("not_monitored" if bar.uptime is None else "maintenance" if bar.maintenance
                  else "operational" if bar.uptime >= 100 else "downtime")
        downtime = 0 if bar.uptime is None else round((100 - bar.uptime) / 100 * day_seconds.get(bar.date, 86400))
        days.append({"day": bar.date, "status": status, "downtime_duration": downtime, "maintenance_duration": 0})
    return days


def resource_resource(row: store.ResourceRow, page_id: str, figures: Shown, group_kinds: dict[str, str]) -> dict:
    item = resource_object(row, page_id)
    rendered = figures.resources.get(item.id)
    kind = {"monitor": "Monitor", "heartbeat": "Heartbeat"}.get(item.kind) or (
        "HeartbeatGroup" if group_kinds.get(row.subject_id) == "heartbeat" else "MonitorGroup")
    uptime = None if rendered is None else rendered.uptime
    return jsonapi.resource(item.id, "status_page_resource", {
        "status_page_section_id": item.section_id, "resource_id": row.subject_id, "resource_type": kind,
        "history": item.show_uptime, "widget_type": "history" if item.show_uptime else "plain",
        "public_name": item.public_name, "explanation": "", "position": item.position, "fixed_position": False,
        "mark_as_down_for": None, "mark_as_down_metadata_rule": None, "mark_as_degraded_for": None,
        "mark_as_degraded_metadata_rule": None,
        "availability": None if uptime is None else round(uptime / 100, 6),
        "status": STATUS.get(rendered.state if rendered else "unknown", "not_monitored"),
        "status_history": _history(rendered.bars if rendered else None, figures.day_seconds),
    })


async def read_page(request: web.Request, job: Any, page_id: str | None = None, figures: bool = True) -> Any:
    """job(conn, page, figures) on the path's page (or `page_id`), in one read; `figures`
    False: None for them (rendering the page's state reads every resource's history)."""
    context = _context(request)
    page_id, now_ms = page_id or request.match_info["id"], context.now_ms()

    def read(conn: Any) -> Any:
        page = find(conn, page_id)
        return job(conn, page, shown(conn, page, now_ms) if figures else None)

    return await context.read_conn.call(read)


def _group_kinds(conn: Any, rows: list[store.ResourceRow]) -> dict[str, str]:
    return {row.subject_id: found.kind for row in rows if row.kind == "group"
            for found in [groups.get(conn, row.subject_id)] if found is not None}


# -- pages ------------------------------------------------------------------------------------------

def refuse_unsupported(sent: Any, refused: dict[str, str]) -> None:
    for name, instead in refused.items():
        value = getattr(sent, name)
        if value is not UNSET and value not in (None, "", [], {}):
            raise unprocessable(f"{name} is not supported: {instead}", name)


def page_body(sent: Any, creating: bool) -> dict:
    refuse_unsupported(sent, REFUSED_PAGE)
    body: dict[str, Any] = {"published": True} if creating else {}
    for theirs, ours in (("company_name", "name"), ("subdomain", "slug"), ("custom_domain", "custom_domain"),
                         ("timezone", "timezone")):
        if getattr(sent, theirs) is not UNSET:
            body[ours] = getattr(sent, theirs)
    if sent.password_enabled is False:
        body["password"] = None
    elif sent.password is not UNSET and sent.password:
        body["password"] = sent.password
    elif sent.password_enabled is True and creating:
        raise unprocessable("password is required when password_enabled is true", "password")
    for required in ("company_name", "subdomain") if creating else ():
        if getattr(sent, required) is UNSET:
            raise unprocessable(f"{required} is required", required)
    return body


@route("GET", PAGES, PERMISSION, "read", "Better Stack: list status pages, oldest first, page by page",
       query=jsonapi.PageQuery)
async def list_status_pages(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, jsonapi.PageQuery)
    now_ms = context.now_ms()

    def read(conn: Any) -> tuple[list[dict], int]:
        rows, total = numbered.status_page_page(conn, number=query.page, size=query.per_page)
        return [page_resource(row, shown(conn, row, now_ms)) for row in rows], total

    items, total = await context.read_conn.call(read)
    return respond(jsonapi.page(request, items, query, total))


@route("GET", f"{PAGES}/{{id}}", PERMISSION, "read", "Better Stack: a status page with its aggregate state")
async def get_status_page(request: web.Request) -> web.Response:
    return respond(jsonapi.one(await read_page(request, lambda conn, page, figures: page_resource(page, figures))))


@route("POST", PAGES, PERMISSION, "create", "Better Stack: create a status page (published at once)", status=201)
@speaks(PAGE_FIELDS)
async def create_status_page(request: web.Request) -> web.Response:
    sent = await read_json(request, PageIn)
    made = await _context(request).status_page_commands.create(into(page_body(sent, True), StatusPageCreate,
                                                                    PAGE_FIELDS))
    return respond(jsonapi.one(await read_page(request, lambda conn, page, figures: page_resource(page, figures),
                                                made.row.id)), status=201)


@route("PATCH", f"{PAGES}/{{id}}", PERMISSION, "update", "Better Stack: update a status page (only the fields given)")
@speaks(PAGE_FIELDS)
async def update_status_page(request: web.Request) -> web.Response:
    sent = await read_json(request, PageIn)
    body = page_body(sent, False)
    if body:
        await _context(request).status_page_commands.update(request.match_info["id"],
                                                            into(body, StatusPageUpdate, PAGE_FIELDS))
    return respond(jsonapi.one(await read_page(request, lambda conn, page, figures: page_resource(page, figures))))


@route("DELETE", f"{PAGES}/{{id}}", PERMISSION, "delete",
       "Better Stack: delete a status page with its sections, resources and reports", status=204)
async def delete_status_page(request: web.Request) -> web.Response:
    await _context(request).status_page_commands.delete(request.match_info["id"])
    return no_content()


# -- sections ---------------------------------------------------------------------------------------

def section_body(sent: SectionIn) -> dict:
    return {name: getattr(sent, name) for name in ("name", "position") if getattr(sent, name) is not UNSET}


@route("GET", f"{PAGES}/{{id}}/sections", PERMISSION, "read",
       "Better Stack: a status page's sections, oldest first, page by page", query=jsonapi.PageQuery)
async def list_status_page_sections(request: web.Request) -> web.Response:
    query = read_query(request, jsonapi.PageQuery)

    def job(conn: Any, page: store.PageRow, _: None) -> tuple[list[dict], int]:
        rows, total = numbered.section_page(conn, page.seq, number=query.page, size=query.per_page)
        return [section_resource(row, page.id) for row in rows], total

    items, total = await read_page(request, job, figures=False)
    return respond(jsonapi.page(request, items, query, total))


@route("GET", f"{PAGES}/{{id}}/sections/{{section_id}}", PERMISSION, "read", "Better Stack: a status page section")
async def get_status_page_section(request: web.Request) -> web.Response:
    page_id = request.match_info["id"]
    row = await _context(request).status_page_commands.get_section(page_id, request.match_info["section_id"])
    return respond(jsonapi.one(section_resource(row, page_id)))


@route("POST", f"{PAGES}/{{id}}/sections", PERMISSION, "create", "Better Stack: add a section to a status page",
       status=201)
@speaks(SECTION_FIELDS)
async def create_status_page_section(request: web.Request) -> web.Response:
    sent = await read_json(request, SectionIn)
    page_id = request.match_info["id"]
    made = await _context(request).status_page_commands.create_section(
        page_id, into(section_body(sent), SectionCreate, SECTION_FIELDS))
    return respond(jsonapi.one(section_resource(made.row, page_id)), status=201)


@route("PATCH", f"{PAGES}/{{id}}/sections/{{section_id}}", PERMISSION, "update",
       "Better Stack: rename or move a status page section")
@speaks(SECTION_FIELDS)
async def update_status_page_section(request: web.Request) -> web.Response:
    sent = await read_json(request, SectionIn)
    page_id, section_id = request.match_info["id"], request.match_info["section_id"]
    changed = await _context(request).status_page_commands.update_section(
        page_id, section_id, into(section_body(sent), SectionUpdate, SECTION_FIELDS))
    return respond(jsonapi.one(section_resource(changed.row, page_id)))


@route("DELETE", f"{PAGES}/{{id}}/sections/{{section_id}}", PERMISSION, "delete",
       "Better Stack: delete a status page section (its resources stay on the page, outside any section)",
       status=204)
async def delete_status_page_section(request: web.Request) -> web.Response:
    await _context(request).status_page_commands.delete_section(request.match_info["id"],
                                                                request.match_info["section_id"])
    return no_content()


# -- resources --------------------------------------------------------------------------------------

def resource_body(sent: Any, creating: bool, first_section: str | None, current: store.ResourceRow | None) -> dict:
    if sent.explanation not in (UNSET, None, ""):
        raise unprocessable("explanation is not supported: upstatd shows a resource's public name and state only",
                            "explanation")
    body: dict[str, Any] = {}
    if sent.resource_type is not UNSET or sent.resource_id is not UNSET:
        if sent.resource_type is not UNSET and sent.resource_type not in SUBJECT_FIELDS:
            raise unprocessable(f"resource_type {sent.resource_type[:40]} is not supported: upstatd shows a Monitor, "
                                f"Heartbeat, MonitorGroup or HeartbeatGroup", "resource_type")
        if sent.resource_type is UNSET or sent.resource_id in (UNSET, None):
            missing = "resource_type" if sent.resource_type is UNSET else "resource_id"
            raise unprocessable(f"{missing} is required: resource_id and resource_type go together", missing)
        if creating:
            body[SUBJECT_FIELDS[sent.resource_type]] = str(sent.resource_id)
        elif str(sent.resource_id) != current.subject_id:
            raise unprocessable("resource_id: what a resource shows does not change; add another resource",
                                "resource_id")
    elif creating:
        raise unprocessable("resource_id and resource_type are required", "resource_id")
    if sent.status_page_section_id is not UNSET:
        body["section_id"] = None if sent.status_page_section_id is None else str(sent.status_page_section_id)
    elif creating and first_section is not None:
        body["section_id"] = first_section   # Better Stack's default: the page's first section
    if sent.widget_type is not UNSET:
        if sent.widget_type not in WIDGETS:
            raise unprocessable(f"widget_type {sent.widget_type[:40]} is not supported: plain or history",
                                "widget_type")
        body["show_uptime"] = WIDGETS[sent.widget_type]
    elif sent.history is not UNSET:
        body["show_uptime"] = sent.history
    for name in ("public_name", "position"):
        if getattr(sent, name) is not UNSET:
            body[name] = getattr(sent, name)
    return body


def _resource_answer(conn: Any, page: store.PageRow, figures: Shown, resource_id: str) -> dict:
    row = store.resource(conn, page.seq, resource_id)
    return resource_resource(row, page.id, figures, _group_kinds(conn, [row]))


@route("GET", f"{PAGES}/{{id}}/resources", PERMISSION, "read",
       "Better Stack: what a status page shows, oldest first, page by page, with each one's state and history",
       query=jsonapi.PageQuery)
async def list_status_page_resources(request: web.Request) -> web.Response:
    query = read_query(request, jsonapi.PageQuery)

    def job(conn: Any, page: store.PageRow, figures: Shown) -> tuple[list[dict], int]:
        rows, total = numbered.resource_page(conn, page.seq, number=query.page, size=query.per_page)
        kinds = _group_kinds(conn, rows)
        return [resource_resource(row, page.id, figures, kinds) for row in rows], total

    items, total = await read_page(request, job)
    return respond(jsonapi.page(request, items, query, total))


@route("GET", f"{PAGES}/{{id}}/resources/{{resource_id}}", PERMISSION, "read",
       "Better Stack: a status page resource")
async def get_status_page_resource(request: web.Request) -> web.Response:
    row = await _context(request).status_page_commands.get_resource(request.match_info["id"],
                                                                    request.match_info["resource_id"])
    return respond(jsonapi.one(await read_page(request, lambda conn, page, figures: _resource_answer(
        conn, page, figures, row.id))))


@route("POST", f"{PAGES}/{{id}}/resources", PERMISSION, "create",
       "Better Stack: show a monitor, heartbeat or group on a status page", status=201)
@speaks(RESOURCE_FIELDS)
async def create_status_page_resource(request: web.Request) -> web.Response:
    context = _context(request)
    sent = await read_json(request, ResourceIn)
    first = await read_page(request, lambda conn, page, _: next(iter(store.sections_of(conn, page.seq)), None),
                            figures=False)
    body = resource_body(sent, True, None if first is None else first.id, None)
    made = await context.status_page_commands.create_resource(request.match_info["id"],
                                                              into(body, ResourceCreate, RESOURCE_FIELDS))
    return respond(jsonapi.one(await read_page(request, lambda conn, page, figures: _resource_answer(
        conn, page, figures, made.row.id))), status=201)


@route("PATCH", f"{PAGES}/{{id}}/resources/{{resource_id}}", PERMISSION, "update",
       "Better Stack: change how a status page shows a resource (section, position, name, widget)")
@speaks(RESOURCE_FIELDS)
async def update_status_page_resource(request: web.Request) -> web.Response:
    commands = _context(request).status_page_commands
    page_id, resource_id = request.match_info["id"], request.match_info["resource_id"]
    row = await commands.get_resource(page_id, resource_id)
    sent = await read_json(request, ResourceIn)
    body = resource_body(sent, False, None, row)
    if body:
        await commands.update_resource(page_id, resource_id, into(body, ResourceUpdate, RESOURCE_FIELDS))
    return respond(jsonapi.one(await read_page(request, lambda conn, page, figures: _resource_answer(
        conn, page, figures, row.id))))


@route("DELETE", f"{PAGES}/{{id}}/resources/{{resource_id}}", PERMISSION, "delete",
       "Better Stack: stop showing a resource on a status page", status=204)
async def delete_status_page_resource(request: web.Request) -> web.Response:
    await _context(request).status_page_commands.delete_resource(request.match_info["id"],
                                                                 request.match_info["resource_id"])
    return no_content()
