"""The OpenAPI 3.1 document, generated from the route table.

Every route in `upstatd.api.routes.ROUTES` (and the public routes of
routes/meta.py) becomes one operation. What a route declares is all there is:

- `path`: `{name}` parts become path parameters (ids: letters, digits, `_`, `-`).
- `query`: a msgspec Struct (usually a subclass of pagination.ListQuery); each
  field is a query parameter, with the field's type, constraints and default.
- `body`: a msgspec Struct; the JSON request body (a handler that reads another
  kind says what with `@openapi.consumes(...)`).
- `response`: a msgspec Struct (or `pagination.list_of(Item)`, or `list[Item]`
  for the list envelope of Item) for the answer with `status` (200 by default;
  204 has no body).
- A route that declares no `body`/`response` is described with a generic object;
  one that answers something other than JSON says what with `@openapi.produces(...)`,
  and a path parameter that is not an id gives its schema with `@openapi.path_schema(n=...)`.
- Rules across a Struct's fields (exactly one schedule of a heartbeat, a monitor's type
  block going with its type) are declared beside the Struct with `shapes.across` and
  added to its component here.
- Error statuses: 400, 401, 403, 429 and 500 on every authenticated route; 404
  where the path names an object; 409 on POST (idempotency) and on routes that
  change a named object; 413 where a body is read; 422 where a body or query
  Struct is declared (its bounds). A handler that can answer
  another status declares it with `@openapi.responds(422)`.

msgspec writes JSON Schema 2020-12, which is what OpenAPI 3.1 uses, so the
same Structs that decode requests and encode answers describe them here.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
import structlog

import upstatd
from upstatd import permissions
from upstatd.api import idempotency
from upstatd.api.bodies import MAX_BODY
from upstatd.api.errors import ErrorResponse
from upstatd.api.pagination import list_of

log = structlog.get_logger("upstatd.api")

REF = "#/components/schemas/{name}"
GENERIC = {"type": "object", "description": "A JSON object (this route declares no schema yet)"}
PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
ID_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "maxLength": 255,
             "description": "An object id, like mon_4Xb0TQ2kZ1vW9yH3pL7cRd"}
CHANGES = ("create", "update", "delete")

ERRORS = {
    400: "Malformed request: broken JSON, a value of the wrong type, an unknown or missing parameter, "
         "a bad header (`param` names it), or an unknown Upstat-Version",
    401: "No API token, or the token is not valid, revoked or expired",
    403: "The token lacks the permission this route needs",
    404: "No object with this id, or no such route",
    409: "Idempotency-Key reused with other parameters, by another token or while its first request runs "
         "(idempotency_error), or a conflict with the object's state (invalid_request_error)",
    413: f"The body is larger than {MAX_BODY // 1024} KiB",
    422: "Well-formed, but a value fails validation (out of range, unknown name, ...); `param` names it",
    429: "Too many requests: a rate-limit window is full (see Retry-After)",
    500: "A bug on the server's side; quote the request id",
}


def responds(*statuses: int) -> Callable:
    """Declare error statuses a handler answers beyond the ones every route gets:
    `@openapi.responds(422)` above or below `@route(...)`."""
    def mark(handler: Callable) -> Callable:
        handler.openapi_errors = tuple(sorted({*getattr(handler, "openapi_errors", ()), *statuses}))
        return handler
    return mark


def produces(content: dict[str, dict]) -> Callable:
    """The success answer's media types and schemas, for a handler that does not answer JSON:
    `@openapi.produces({"text/plain": {"schema": {"type": "string"}}})`."""
    def mark(handler: Callable) -> Callable:
        handler.openapi_content = content
        return handler
    return mark


def consumes(content: dict[str, dict]) -> Callable:
    """The request body's media types and schemas, for a handler that does not read JSON
    (a status page's logo): `@openapi.consumes({"image/png": {"schema": {...}}})`."""
    def mark(handler: Callable) -> Callable:
        handler.openapi_body = content
        return handler
    return mark


def path_schema(**schemas: dict) -> Callable:
    """Schemas of path parameters that are not object ids: `@openapi.path_schema(n={...})`."""
    def mark(handler: Callable) -> Callable:
        handler.openapi_path = {**getattr(handler, "openapi_path", {}), **schemas}
        return handler
    return mark


def _across(components: dict) -> None:
    """The rules across fields (shapes.ACROSS) into the components of their Structs."""
    from upstatd.shapes import ACROSS
    for name, rule in ACROSS.items():
        if name in components:
            components[name].update(rule() if callable(rule) else rule)


def _as_type(declared: Any) -> Any:
    """`list[Item]` -> the list envelope of Item; anything else as it is."""
    if typing.get_origin(declared) is list:
        (item,) = typing.get_args(declared)
        return list_of(item)
    return declared


def _path_params(path: str) -> list[str]:
    return PATH_PARAM.findall(path)


def _openapi_path(path: str) -> str:
    return PATH_PARAM.sub(lambda match: "{" + match.group(1) + "}", path)


def _without_null(schema: dict) -> dict:
    """A query parameter is absent rather than null: drop the null branch of `X | None`."""
    schema = dict(schema)
    if schema.get("default", "missing") is None:
        del schema["default"]
    options = schema.get("anyOf")
    if options:
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1:
            del schema["anyOf"]
            schema = {**kept[0], **schema}
        else:
            schema["anyOf"] = kept
    if isinstance(schema.get("type"), list) and "null" in schema["type"]:
        kinds = [kind for kind in schema["type"] if kind != "null"]
        schema["type"] = kinds[0] if len(kinds) == 1 else kinds
    return schema


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _needs_fields(schema: dict) -> bool:
    """Whether `{}` (what an absent body reads as) fails the schema: a field is required,
    or every branch of its oneOf requires one (a heartbeat's schedule)."""
    branches = schema.get("oneOf")
    return bool(schema.get("required")) or bool(branches) and all(branch.get("required") for branch in branches)


def _operation_id(route: Any, taken: set[str]) -> str:
    base = route.operation
    name, n = base, 2
    if name in taken:  # one handler for two methods (PATCH and PUT): the method tells them apart
        name = base = f"{base}_{route.method.lower()}"
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _error_statuses(route: Any, public: bool) -> list[int]:
    statuses = {400, 500}  # an unknown Upstat-Version; a bug
    if not public:
        statuses |= {401, 403, 429}
    if _path_params(route.path):
        statuses.add(404)
        if route.action in CHANGES:
            statuses.add(409)
    if route.method == "POST":
        statuses |= {409, 413}  # Idempotency-Key: conflicts; the body is read to hash it
    if route.body is not None or route.method in ("PUT", "PATCH"):
        statuses |= {408, 413}  # a body that did not come within server.body_timeout; too large
    if route.method not in ("GET", "HEAD") and not public:
        statuses.add(503)  # the database cannot be written now (disk full): nothing was changed
    if route.body is not None or route.query is not None or route.method != "GET":
        statuses.add(422)  # a well-formed value that fails validation (Meta bounds, domain Invalid)
    statuses |= set(getattr(route.handler, "openapi_errors", ()))
    return sorted(statuses)


def _headers(post: bool) -> dict:
    refs = ["Request-Id", "Upstat-Version", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
    if post:
        refs.append(idempotency.REPLAYED)
    return {name: {"$ref": f"#/components/headers/{name}"} for name in refs}


def _header_components() -> dict:
    def header(description: str, schema: dict, required: bool = True) -> dict:
        return {"description": description, "required": required, "schema": schema}

    integer = {"type": "integer", "minimum": 0}
    return {
        "Request-Id": header("This request's id (req_…); error bodies repeat it as request_id",
                             {"type": "string", "pattern": "^req_[0-9A-Za-z]+$"}),
        "Upstat-Version": header("The API version this answer follows", {"enum": list(upstatd.API_VERSIONS)}),
        "X-RateLimit-Limit": header("Requests allowed in the window closest to running out", integer),
        "X-RateLimit-Remaining": header("Requests left in that window", integer),
        "X-RateLimit-Reset": header("Unix second at which that window ends", integer),
        idempotency.REPLAYED: header("`true` when this answer is the stored answer to an earlier request "
                                     "with the same Idempotency-Key", {"enum": ["true"]}, required=False),
        "Retry-After": header("Seconds until every full window has ended", integer),
        "WWW-Authenticate": header("How to authenticate: Bearer", {"type": "string"}),
    }


def _collect(routes: Iterable[Any]) -> tuple[dict[Any, dict], dict]:
    """Schemas of every declared type (by type) and the components they need."""
    declared: list[Any] = [ErrorResponse]
    for route in routes:
        for value in (route.query, route.body, _as_type(route.response)):
            if value is not None and value not in declared:
                declared.append(value)
    usable = []
    for value in declared:
        try:
            msgspec.json.schema(value)
        except (TypeError, ValueError) as exc:
            log.warning("openapi.schema_unavailable", type=repr(value), error=str(exc))
            continue
        usable.append(value)
    schemas, components = msgspec.json.schema_components(usable, ref_template=REF)
    _across(components)
    return dict(zip(usable, schemas)), components


def document(routes: Iterable[Any], public_routes: Iterable[Any] = (), version: str | None = None) -> dict:
    """The OpenAPI 3.1 document of these routes, as plain data."""
    routes, public_routes = list(routes), list(public_routes)
    public = {id(route) for route in public_routes}
    every = routes + public_routes
    schema_of, components = _collect(every)
    granted = permissions.of_routes(routes)
    if granted:  # what a token's permissions object may name (routes/tokens.py refers to it)
        components["PermissionResource"] = {
            "enum": list(granted), "description": "A permission resource: one the routes check"}
    paths: dict[str, dict] = {}
    taken: set[str] = set()
    for route in every:
        is_public = id(route) in public
        operation: dict[str, Any] = {
            "operationId": _operation_id(route, taken),
            "summary": route.summary,
            "tags": [route.resource or "meta"],
            "parameters": [{"$ref": "#/components/parameters/Upstat-Version"}],
        }
        if is_public:
            operation["security"] = []
        else:
            operation["description"] = f"Needs the permission `{route.resource}:{route.action}`."
        special = getattr(route.handler, "openapi_path", {})
        for name in _path_params(route.path):
            operation["parameters"].append({"name": name, "in": "path", "required": True,
                                            "schema": special.get(name, ID_SCHEMA)})
        if route.query is not None and route.query in schema_of:
            query = _resolve(schema_of[route.query], components)
            required = set(query.get("required", ()))
            for name, prop in query.get("properties", {}).items():
                parameter = {"name": name, "in": "query", "required": name in required,
                             "schema": _without_null(prop)}
                if "description" in prop:
                    parameter["description"] = prop["description"]
                operation["parameters"].append(parameter)
        if route.method == "POST":
            operation["parameters"].append({"$ref": f"#/components/parameters/{idempotency.HEADER}"})
        if getattr(route.handler, "openapi_body", None) is not None:
            operation["requestBody"] = {"required": True, "content": route.handler.openapi_body}
        elif route.body is not None or route.method in ("POST", "PUT", "PATCH"):
            body_schema = schema_of.get(route.body, GENERIC) if route.body is not None else GENERIC
            needed = route.body is not None and _needs_fields(_resolve(body_schema, components))
            operation["requestBody"] = {"required": needed,
                                        "content": {"application/json": {"schema": body_schema}}}
        responses: dict[str, Any] = {}
        success: dict[str, Any] = {"description": route.summary,
                                   "headers": _headers(route.method == "POST")}
        if getattr(route.handler, "openapi_content", None) is not None:
            success["content"] = route.handler.openapi_content
        elif route.status != 204:
            response_type = _as_type(route.response)
            schema = schema_of.get(response_type, GENERIC) if response_type is not None else GENERIC
            success["content"] = {"application/json": {"schema": schema}}
        responses[str(route.status)] = success
        for status in _error_statuses(route, is_public):
            if str(status) in responses:
                continue
            headers = _headers(route.method == "POST")
            if status == 401:
                headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
            if status == 429:
                headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
            responses[str(status)] = {"description": ERRORS.get(status, "Error"), "headers": headers,
                                      "content": {"application/json": {"schema": schema_of[ErrorResponse]}}}
        operation["responses"] = responses
        paths.setdefault(_openapi_path(route.path), {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "upstatd API",
            "version": version or upstatd.API_VERSIONS[-1],
            "description": (
                "REST API of upstatd, an uptime and cron-job monitoring daemon. Conventions: prefixed "
                "ids and an `object` field on every object, snake_case, Unix-second timestamps, explicit "
                "nulls; lists are `{object: list, data, has_more, url}` paged newest first with `limit` "
                "and `starting_after`/`ending_before`; every error is `{error: {type, code, message, "
                "param, request_id}}`. Supported Upstat-Version values: " + ", ".join(upstatd.API_VERSIONS) + "."),
            "x-upstatd-version": upstatd.__version__,
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token: `Authorization: Bearer upst_…`"}},
            "parameters": {
                "Upstat-Version": {
                    "name": "Upstat-Version", "in": "header", "required": False,
                    "description": "The API version to use; without it, the version this installation "
                                   "is pinned to (the one current when its first token was made)",
                    "schema": {"enum": list(upstatd.API_VERSIONS)}},
                idempotency.HEADER: {
                    "name": idempotency.HEADER, "in": "header", "required": False,
                    "description": "Send a POST again with the same key (within 24 h) to get its first "
                                   "answer instead of running it twice",
                    "schema": {"type": "string", "minLength": 1,
                               "maxLength": idempotency.MAX_KEY_LENGTH, "pattern": "^[!-~]+$"}},
            },
            "headers": _header_components(),
        },
    }
