"""/api/catalog/services: the catalog's services (`svc_…`), who owns them, what
they need, and which monitors and heartbeats belong to each. Permission
resource: `catalog`.

- `depends_on` and `dependents` are direct edges; `state` is the worst of its
  monitors' and heartbeats' (`unknown` without any).
- `/dependencies`: list what a service needs, add one (a cycle is refused 422
  `dependency_cycle`, naming it), remove one.
- A service others need cannot be deleted (409 `service_in_use` naming them).
- Services and edges from the config file (`managed_by: "config"`) can be read;
  changes answer 409 `managed_by_config` naming the file and key.
- The use cases are catalog/commands.py, the shapes catalog/public.py.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Resource, context, partial_update
from upstatd.catalog.public import DependencyCreate, Service, ServiceCreate, ServiceUpdate, service_objects
from upstatd.store import services as store

PATH = "/api/catalog/services"


class ServiceListQuery(ListQuery, forbid_unknown_fields=True):
    tag: str | None = None
    owner_id: str | None = None       # usr_… or sch_…
    tier: Annotated[int, msgspec.Meta(ge=1, le=4)] | None = None
    managed_by: Annotated[str, msgspec.Meta(extra_json_schema={"enum": ["config", "api"]})] | None = None


class DependencyListQuery(ListQuery, forbid_unknown_fields=True):
    pass


ServiceList = pagination.list_of(Service, "ServiceList")


def services_page(conn, **query):
    """A page of services in their public shape (the graph and members' states read once)."""
    rows, has_more = store.list_page(conn, **query)
    return service_objects(conn, rows), has_more


def dependencies_page(conn, service_id, **query):
    rows, has_more = store.dependency_page(conn, service_id, **query)
    return service_objects(conn, rows), has_more


async def shape(ctx, row):
    """A service's public shape, read after the change (it carries its graph and state)."""
    return (await ctx.read_conn.call(lambda conn: service_objects(conn, [row])))[0]


services = Resource(PATH, "catalog", lambda ctx: ctx.service_commands, lambda ctx, obj: obj, stem="services")
services.list("List catalog services, newest first", query=ServiceListQuery, response=ServiceList,
              page=services_page)


async def create(request: web.Request) -> web.Response:
    ctx = context(request)
    changed = await ctx.service_commands.create(await read_json(request, ServiceCreate))
    return respond(await shape(ctx, changed.row), status=201)


async def retrieve(request: web.Request) -> web.Response:
    ctx = context(request)
    return respond(await shape(ctx, await ctx.service_commands.get(request.match_info["id"])))


async def update(request: web.Request) -> web.Response:
    ctx = context(request)
    changed = await ctx.service_commands.update(request.match_info["id"], await read_json(request, ServiceUpdate))
    return respond(await shape(ctx, changed.row))


async def delete(request: web.Request) -> web.Response:
    await context(request).service_commands.delete(request.match_info["id"])
    return no_content()


async def list_dependencies(request: web.Request) -> web.Response:
    ctx = context(request)
    parent = await ctx.service_commands.get(request.match_info["id"])
    filters = pagination.values(read_query(request, DependencyListQuery))
    found, has_more = await ctx.read_conn.call(lambda conn: dependencies_page(conn, parent.id, **filters))
    return respond(pagination.envelope(found, has_more, f"{PATH}/{parent.id}/dependencies"))


async def create_dependency(request: web.Request) -> web.Response:
    ctx = context(request)
    changed = await ctx.service_commands.add_dependency(request.match_info["id"],
                                                        await read_json(request, DependencyCreate))
    return respond(await shape(ctx, changed.row), status=201)


async def delete_dependency(request: web.Request) -> web.Response:
    await context(request).service_commands.remove_dependency(request.match_info["id"],
                                                              request.match_info["depends_on_id"])
    return no_content()


ONE = f"{PATH}/{{id}}"
DEPENDENCIES = f"{ONE}/dependencies"
services._declare("create", "POST", PATH, "create", "Create a catalog service", create, body=ServiceCreate,
                  response=Service, status=201)
services._declare("retrieve", "GET", ONE, "read", "Retrieve a catalog service", retrieve, response=Service)
update.__name__, update.__module__ = "update", f"{Resource.__module__}.services"
partial_update(ONE, "catalog", "Update a catalog service: only the fields given change; metadata merges",
               body=ServiceUpdate, response=Service)(update)
services._declare("delete", "DELETE", ONE, "delete", "Delete a catalog service (refused while others need it)",
                  delete, status=204)
services._declare("list_dependencies", "GET", DEPENDENCIES, "read", "List the services a service needs directly",
                  list_dependencies, query=DependencyListQuery, response=ServiceList)
services._declare("create_dependency", "POST", DEPENDENCIES, "create", "Add a service this one needs (a cycle is "
                  "refused, naming it); answers the service", create_dependency, body=DependencyCreate,
                  response=Service, status=201)
services._declare("delete_dependency", "DELETE", f"{DEPENDENCIES}/{{depends_on_id}}", "delete",
                  "Remove a dependency made over the API", delete_dependency, status=204)
