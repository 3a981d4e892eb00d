"""The API's routes, one module per resource. Each route is declared once with
the permission it needs and the schemas it takes and returns; the middleware
checks the permission and openapi.py reads the same table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from aiohttp import web

from upstatd import permissions
from upstatd.shapes import NoBody
from upstatd.api import pagination
from upstatd.api.bodies import no_content, read_json, read_query, respond

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Route(NamedTuple):
    method: str
    path: str
    handler: Handler
    resource: str          # permission resource, e.g. "monitors"
    action: str            # read | create | update | delete
    summary: str
    query: Any = None      # msgspec Struct of query parameters
    body: Any = None       # msgspec Struct of the JSON body
    response: Any = None   # msgspec Struct (or list envelope) returned
    status: int = 200
    operation: str = ""    # the OpenAPI operationId's stem: <module>_<handler>


ROUTES: list[Route] = []


def route(method: str, path: str, resource: str, action: str, summary: str, *, query: Any = None,
          body: Any = None, response: Any = None, status: int = 200) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if resource:
            permissions.declare(resource)
        operation = f"{handler.__module__.rsplit('.', 1)[-1]}_{handler.__name__}"
        ROUTES.append(Route(method, path, handler, resource, action, summary, query, body, response, status,
                            operation))
        return handler
    return register


def partial_update(path: str, resource: str, summary: str, *, body: Any, response: Any
                   ) -> Callable[[Handler], Handler]:
    """PATCH and PUT on one handler: PUT is the same partial update (the API's convention)."""
    def register(handler: Handler) -> Handler:
        route("PATCH", path, resource, "update", summary, body=body, response=response)(handler)
        route("PUT", path, resource, "update", "Same as PATCH (a partial update)", body=body,
              response=response)(handler)
        return handler
    return register


class Resource:
    """The thin routes of one resource, each one command: read the query or body
    (refusing unknown fields), call the command with the path's id, answer with the
    resource's public shape. `commands(context)` are the resource's commands (get,
    create, update, delete, and the actions given); `show(context, row)` its shape.
    A route that does more than that is written out in the resource's module.
    `stem`: the operationIds' <resource> when the permission resource is another's
    (monitor groups need `monitors`)."""

    def __init__(self, path: str, resource: str, commands: Callable[[Any], Any],
                 show: Callable[[Any, Any], Any], stem: str | None = None) -> None:
        self.path, self.resource, self.commands, self.show = path, resource, commands, show
        self.stem = stem or resource
        self.one = f"{path}/{{id}}"

    def _declare(self, name: str, method: str, path: str, action: str, summary: str, handler: Handler,
                 resource: str | None = None, **schemas: Any) -> None:
        handler.__name__ = name
        handler.__module__ = f"{__name__}.{self.stem}"  # operationId <resource>_<name>, as if written there
        route(method, path, resource or self.resource, action, summary, **schemas)(handler)

    def create(self, summary: str, *, body: Any, response: Any,
               answer: Callable[[Any, Any], Any] | None = None) -> None:
        """POST path: commands.create(body) -> 201 with the new object."""
        async def handler(request: web.Request) -> web.Response:
            given = await read_json(request, body)
            changed = await self.commands(context(request)).create(given)
            return respond(self._answer(request, changed, answer), status=201)
        self._declare("create", "POST", self.path, "create", summary, handler, body=body, response=response,
                      status=201)

    def list(self, summary: str, *, query: Any, response: Any, page: Callable[..., Any],
             show: Callable[[Any, Any], Any] | None = None, timed: bool = False) -> None:
        """GET path: one page of `page(conn, **query)` (timed: with `now_ms=` and the context's
        `timelines=`, for figures of the moment), each row as `show(context, row)` (default:
        the resource's shape)."""
        shown = show or self.show

        async def handler(request: web.Request) -> web.Response:
            ctx = context(request)
            at = {"now_ms": ctx.now_ms(), "timelines": ctx.timelines} if timed else {}
            found, has_more = await pagination.fetch(ctx.read_conn, page, read_query(request, query), **at)
            return respond(pagination.envelope([shown(ctx, row) for row in found], has_more, self.path))
        self._declare(f"list_{self.stem}", "GET", self.path, "read", summary, handler, query=query,
                      response=response)

    def retrieve(self, summary: str, *, response: Any) -> None:
        async def handler(request: web.Request) -> web.Response:
            ctx = context(request)
            return respond(self.show(ctx, await self.commands(ctx).get(request.match_info["id"])))
        self._declare("retrieve", "GET", self.one, "read", summary, handler, response=response)

    def update(self, summary: str, *, body: Any, response: Any) -> None:
        """PATCH and PUT (the same partial update): commands.update(id, body)."""
        async def handler(request: web.Request) -> web.Response:
            given = await read_json(request, body)
            changed = await self.commands(context(request)).update(request.match_info["id"], given)
            return respond(self._answer(request, changed, None))
        handler.__name__ = "update"
        handler.__module__ = f"{__name__}.{self.stem}"
        partial_update(self.one, self.resource, summary, body=body, response=response)(handler)

    def delete(self, summary: str) -> None:
        """DELETE: commands.delete(id) -> 204 with no body."""
        async def handler(request: web.Request) -> web.Response:
            await self.commands(context(request)).delete(request.match_info["id"])
            return no_content()
        self._declare("delete", "DELETE", self.one, "delete", summary, handler, status=204)

    def children(self, name: str, summary: str, *, query: Any, response: Any, page: Callable[..., Any],
                 show: Callable[[Any, str], Any], owner: Callable[[Any], Any] = lambda row: row.seq,
                 resource: str | None = None) -> None:
        """GET path/{id}/<name>: one page of `page(conn, owner(object), **query)` (a monitor's
        checks, ...), each child as `show(child, object id)`; `resource` names another permission."""
        async def handler(request: web.Request) -> web.Response:
            ctx = context(request)
            parent = await self.commands(ctx).get(request.match_info["id"])
            filters = pagination.values(read_query(request, query))
            found, has_more = await ctx.read_conn.call(lambda conn: page(conn, owner(parent), **filters))
            return respond(pagination.envelope([show(item, parent.id) for item in found], has_more,
                                               f"{self.path}/{parent.id}/{name}"))
        self._declare(f"list_{name}", "GET", f"{self.one}/{name}", "read", summary, handler, query=query,
                      response=response, resource=resource)

    def view(self, name: str, summary: str, read: Callable[..., Awaitable[Any]], *, response: Any) -> None:
        """GET path/{id}/<name>: read(commands, id), answered as it is (a monitor's status, ...)."""
        async def handler(request: web.Request) -> web.Response:
            return respond(await read(self.commands(context(request)), request.match_info["id"]))
        self._declare(name.replace("-", "_"), "GET", f"{self.one}/{name}", "read", summary, handler,
                      response=response)

    def action(self, name: str, summary: str, command: Callable[..., Awaitable[Any]], *, response: Any,
               body: Any = None, answer: Callable[[Any, Any], Any] | None = None) -> None:
        """POST path/{id}/<name>: command(commands, id[, body]); no body given: any is refused."""
        async def handler(request: web.Request) -> web.Response:
            given = await read_json(request, body or NoBody)
            commands = self.commands(context(request))
            args = (request.match_info["id"],) if body is None else (request.match_info["id"], given)
            return respond(self._answer(request, await command(commands, *args), answer))
        self._declare(name.replace("-", "_"), "POST", f"{self.one}/{name}", "update", summary, handler,
                      body=body or NoBody, response=response)

    def _answer(self, request: web.Request, result: Any, answer: Callable[[Any, Any], Any] | None) -> Any:
        """A command's Changed in the public shape, or as `answer(context, result)` says."""
        ctx = context(request)
        return answer(ctx, result) if answer is not None else self.show(ctx, result.row)


class Nested:
    """The thin routes of a parent's own children, `<parent>/{id}/<name>` and
    `<parent>/{id}/<name>/{<singular>_id}` (a status page's sections, ...): each calls one
    command with the parent's id (and the child's), answering `show(child, parent id)`.
    Commands take (commands, parent_id[, child_id][, body]); create, update and delete return
    a Changed (its `row`), retrieve the row. Permissions are the parent's."""

    def __init__(self, parent: Resource, name: str, singular: str, show: Callable[[Any, str], Any]) -> None:
        self.parent, self.name, self.singular, self.show = parent, name, singular, show
        self.path = f"{parent.one}/{name}"
        self.key = f"{singular}_id"
        self.one = f"{self.path}/{{{self.key}}}"

    def _ids(self, request: web.Request, child: bool) -> tuple[str, ...]:
        return (request.match_info["id"], request.match_info[self.key]) if child else (request.match_info["id"],)

    def _answer(self, request: web.Request, row: Any) -> Any:
        return self.show(row, request.match_info["id"])

    def create(self, summary: str, command: Callable[..., Awaitable[Any]], *, body: Any, response: Any) -> None:
        async def handler(request: web.Request) -> web.Response:
            given = await read_json(request, body)
            changed = await command(self.parent.commands(context(request)), *self._ids(request, False), given)
            return respond(self._answer(request, changed.row), status=201)
        self.parent._declare(f"create_{self.singular}", "POST", self.path, "create", summary, handler, body=body,
                             response=response, status=201)

    def list(self, summary: str, *, query: Any, response: Any, page: Callable[..., Any]) -> None:
        """One page of `page(conn, parent.seq, **query)`."""
        async def handler(request: web.Request) -> web.Response:
            ctx = context(request)
            parent = await self.parent.commands(ctx).get(request.match_info["id"])
            filters = pagination.values(read_query(request, query))
            found, has_more = await ctx.read_conn.call(lambda conn: page(conn, parent.seq, **filters))
            return respond(pagination.envelope([self.show(row, parent.id) for row in found], has_more,
                                               f"{self.parent.path}/{parent.id}/{self.name}"))
        self.parent._declare(f"list_{self.name}", "GET", self.path, "read", summary, handler, query=query,
                             response=response)

    def retrieve(self, summary: str, command: Callable[..., Awaitable[Any]], *, response: Any) -> None:
        async def handler(request: web.Request) -> web.Response:
            row = await command(self.parent.commands(context(request)), *self._ids(request, True))
            return respond(self._answer(request, row))
        self.parent._declare(f"retrieve_{self.singular}", "GET", self.one, "read", summary, handler,
                             response=response)

    def update(self, summary: str, command: Callable[..., Awaitable[Any]], *, body: Any, response: Any) -> None:
        """PATCH and PUT (the same partial update)."""
        async def handler(request: web.Request) -> web.Response:
            given = await read_json(request, body)
            changed = await command(self.parent.commands(context(request)), *self._ids(request, True), given)
            return respond(self._answer(request, changed.row))
        handler.__name__ = f"update_{self.singular}"
        handler.__module__ = f"{__name__}.{self.parent.resource}"
        partial_update(self.one, self.parent.resource, summary, body=body, response=response)(handler)

    def delete(self, summary: str, command: Callable[..., Awaitable[Any]]) -> None:
        async def handler(request: web.Request) -> web.Response:
            await command(self.parent.commands(context(request)), *self._ids(request, True))
            return no_content()
        self.parent._declare(f"delete_{self.singular}", "DELETE", self.one, "delete", summary, handler, status=204)


def context(request: web.Request) -> Any:
    """What the handlers reach (api/context.py ApiContext): the commands, the read database."""
    from upstatd.api.server import CONTEXT  # not at import: the server imports the route table
    return request.app[CONTEXT]
