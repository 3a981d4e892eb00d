"""/api/status-pages: public status pages, their sections, the monitors and
heartbeats they show (resources) and status reports (the public incident
updates). Permission resource: `status_pages`, for all of it.

- A page's password is write-only: answers say `password_protected`.
- slug and custom_domain name one page each (409 naming the param).
- A resource shows one monitor or heartbeat (by id or config key) or one
  group (`group_id`, a grp_ id).
- A report is created with its first update; POST …/reports/{report_id}/updates
  appends one, and the report's status is its last update's. DELETE removes it
  with its updates.
- PUT …/logo takes the image itself as the body (its Content-Type one of
  status_pages/logo.py's TYPES); the page then serves it at /status/<slug>/logo.
- Sections, resources and reports carry metadata like every object.
- The use cases are status_pages/commands.py, the shapes status_pages/public.py;
  the public pages are rendered elsewhere from store/status_page_view.py.
"""

from __future__ import annotations

from aiohttp import web

from upstatd.api import openapi, pagination
from upstatd.api.bodies import no_content, read_body, read_json, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Nested, Resource, route
from upstatd.api.routes import context as _context
from upstatd.status_pages import logo
from upstatd.status_pages.commands import StatusPageCommands as C
from upstatd.status_pages.public import (ReportCreate, ReportStatus, ReportUpdate, ReportUpdateCreate,
                                         ResourceCreate, ResourceUpdate, SectionCreate, SectionUpdate, StatusPage,
                                         StatusPageCreate, StatusPageResource, StatusPageSection, StatusPageUpdate,
                                         StatusReport, page_object, report_object, resource_object, section_object)
from upstatd.store import status_pages as store

PERMISSION = "status_pages"


class PageListQuery(ListQuery, forbid_unknown_fields=True):
    published: bool | None = None


class ResourceListQuery(ListQuery, forbid_unknown_fields=True):
    section_id: str | None = None


class ReportListQuery(ListQuery, forbid_unknown_fields=True):
    status: ReportStatus | None = None
    active: bool | None = None


pages = Resource("/api/status-pages", PERMISSION, lambda context: context.status_page_commands,
                 lambda context, row: page_object(row))
pages.create("Create a status page", body=StatusPageCreate, response=StatusPage)
pages.list("List status pages, newest first", query=PageListQuery, response=pagination.list_of(StatusPage),
           page=store.list_page)
pages.retrieve("Retrieve a status page (its password never shown)", response=StatusPage)
pages.update("Update a status page: only the fields given change; metadata merges", body=StatusPageUpdate,
             response=StatusPage)
pages.delete("Delete a status page with its sections, resources and reports")

sections = Nested(pages, "sections", "section", section_object)
sections.create("Add a section to a status page", C.create_section, body=SectionCreate, response=StatusPageSection)
sections.list("List a status page's sections, newest first", query=ListQuery,
              response=pagination.list_of(StatusPageSection), page=store.sections_page)
sections.retrieve("Retrieve a section of a status page", C.get_section, response=StatusPageSection)
sections.update("Rename or move a section", C.update_section, body=SectionUpdate, response=StatusPageSection)
sections.delete("Delete a section; its resources stay on the page, outside any section", C.delete_section)

resources = Nested(pages, "resources", "resource", resource_object)
resources.create("Show a monitor or heartbeat on a status page", C.create_resource, body=ResourceCreate,
                 response=StatusPageResource)
resources.list("List what a status page shows, newest first", query=ResourceListQuery,
               response=pagination.list_of(StatusPageResource), page=store.resources_page)
resources.retrieve("Retrieve a resource of a status page", C.get_resource, response=StatusPageResource)
resources.update("Change how a resource is shown: section, position, public name, uptime", C.update_resource,
                 body=ResourceUpdate, response=StatusPageResource)
resources.delete("Stop showing a resource on a status page", C.delete_resource)

reports = Nested(pages, "reports", "report", report_object)
reports.create("Publish a status report with its first update", C.create_report, body=ReportCreate,
               response=StatusReport)
reports.list("List a status page's reports, newest first", query=ReportListQuery,
             response=pagination.list_of(StatusReport), page=store.reports_page)
reports.retrieve("Retrieve a status report with its updates", C.get_report, response=StatusReport)
reports.update("Change a report's title, incident, affected resources or metadata", C.update_report,
               body=ReportUpdate, response=StatusReport)
reports.delete("Delete a status report with its updates", C.delete_report)


@route("POST", f"{reports.one}/updates", PERMISSION, "create", "Append an update to a status report (its status "
       "becomes the update's)", body=ReportUpdateCreate, response=StatusReport, status=201)
async def add_report_update(request: web.Request) -> web.Response:
    given = await read_json(request, ReportUpdateCreate)
    page_id = request.match_info["id"]
    changed = await _context(request).status_page_commands.add_update(page_id, request.match_info["report_id"], given)
    return respond(report_object(changed.row, page_id), status=201)


@openapi.consumes({media: {"schema": {"type": "string", "contentMediaType": media, "maxLength": logo.MAX_BYTES}}
                   for media in logo.TYPES})
@openapi.responds(422)
@route("PUT", f"{pages.one}/logo", PERMISSION, "update", "Set a status page's logo: the image itself as the body "
       "(PNG, SVG, WebP or JPEG, at most 256 KiB)", response=StatusPage)
async def put_logo(request: web.Request) -> web.Response:
    data = await read_body(request)
    changed = await _context(request).status_page_commands.put_logo(
        request.match_info["id"], request.headers.get("Content-Type", ""), data)
    return respond(page_object(changed.row))


@route("DELETE", f"{pages.one}/logo", PERMISSION, "update", "Remove a status page's logo", status=204)
async def delete_logo(request: web.Request) -> web.Response:
    await _context(request).status_page_commands.delete_logo(request.match_info["id"])
    return no_content()
