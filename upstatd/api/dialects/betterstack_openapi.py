"""The Better Stack dialect's OpenAPI 3.1 document, one for the whole dialect (its /api/v2
and /api/v3 routes: one API, two version segments), served at /api/v2/openapi.json and
/api/v3/openapi.json alike, without a token (as /api/openapi.json).

upstatd's generator (api/openapi.py) over the route table filtered by the two prefixes,
when first asked (so every route a module declares under them is in it), in Better Stack's
words: bearer tokens, `{"errors": "message"}` / `{"errors": {"field": ["message"]}}`
(jsonapi.render: a refusal upstatd calls 400 is a 422 here, but the SLA's dates), JSON:API
answers, no Upstat-Version nor Idempotency-Key."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from upstatd.api.dialects.betterstack import PREFIXES, SlaQuery
from upstatd.api.routes.meta import public_route

RESOURCE = {"type": "object", "required": ["id", "type", "attributes"], "properties": {
    "id": {"type": "string"}, "type": {"type": "string"}, "attributes": {"type": "object"},
    "relationships": {"type": "object"}}}
LINK = {"type": ["string", "null"], "format": "uri"}
SCHEMAS = {
    "Resource": RESOURCE,
    "One": {"type": "object", "required": ["data"], "properties": {"data": {"$ref": "#/components/schemas/Resource"}}},
    "Many": {"type": "object", "required": ["data"], "properties": {
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Resource"}}}},
    "Page": {"type": "object", "required": ["data", "pagination"], "properties": {
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Resource"}},
        "pagination": {"type": "object", "required": ["first", "last", "prev", "next"], "properties": {
            "first": {"type": "string", "format": "uri"}, "last": {"type": "string", "format": "uri"},
            "prev": LINK, "next": LINK}}}},
    "Data": {"type": "object", "required": ["data"], "properties": {
        "data": {"anyOf": [{"$ref": "#/components/schemas/Resource"},
                           {"type": "array", "items": {"$ref": "#/components/schemas/Resource"}}]}}},
    "Error": {"type": "object", "required": ["errors"], "additionalProperties": False, "properties": {
        "errors": {"type": "string", "description": "What is wrong"}}},
    "ValidationError": {"type": "object", "required": ["errors"], "additionalProperties": False, "properties": {
        "errors": {"type": "object", "minProperties": 1, "description": "The field at fault (base: none) and "
                   "its messages", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}},
}
# answers of a named shape: a list of comments or timeline items has no pages (as Better Stack's)
UNPAGED = ("/comments", "/timeline")
KNOWN = ("betterstack_monitors", "betterstack_heartbeats", "betterstack_groups", "betterstack_v3",
         "betterstack_incident_comments")

_document: list[bytes] = []


def _ours(path: str) -> bool:
    return path.startswith(PREFIXES)


def _answer(item: Any) -> str | None:
    """The component the route answers with (None: as the generator has it): a page where its
    query pages (jsonapi.page); else, for the modules whose answers are known here, one
    resource or (UNPAGED) a list; for any other module's, an object with `data`."""
    if item.response is not None or item.status == 204 or not item.resource:
        return None
    if item.query is not None and "page" in {field.encode_name for field in msgspec.structs.fields(item.query)}:
        return "Page"
    if item.handler.__module__.rsplit(".", 1)[-1] not in KNOWN:
        return "Data"
    if item.method == "GET" and item.path.endswith(UNPAGED):
        return "Many"
    return "One"


def openapi_document() -> dict:
    from upstatd.api import openapi
    from upstatd.api.routes import ROUTES
    from upstatd.api.routes.meta import PUBLIC_ROUTES
    routes = [item for item in ROUTES if _ours(item.path)]
    public = [item for item in PUBLIC_ROUTES if _ours(item.path)]
    document = openapi.document(routes, public)
    document["info"].update(title="upstatd: Better Stack's Uptime API", description=(
        "Better Stack's Uptime API (v2 and v3) answered by upstatd over its own objects "
        "(docs/dialect-betterstack.md): `Authorization: Bearer <upstatd token>`, JSON:API answers, "
        "page/per_page lists with pagination links, ISO 8601 times, errors as {\"errors\": ...}."))
    components = document["components"]
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                                "description": "An upstatd API token (upst_…)"}}
    for name in ("ErrorResponse", "ErrorDetail"):
        components["schemas"].pop(name, None)
    components["schemas"].update(SCHEMAS)
    del components["parameters"]  # Upstat-Version and Idempotency-Key: /api's, not Better Stack's
    by_operation = {(item.method.lower(), openapi._openapi_path(item.path)): item for item in routes}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    invalid = {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            item = by_operation.get((method, path))
            operation["parameters"] = [parameter for parameter in operation["parameters"]
                                       if "$ref" not in parameter]
            for parameter in operation["parameters"]:
                if item is not None and parameter["name"] in ("from", "to") and parameter["in"] == "query":
                    parameter["schema"] = {"type": "string", "format": "date"}
                    parameter["description"] = "A day, YYYY-MM-DD (UTC), counted in full"
            for family in getattr(item.query if item is not None else None, "nested_query", ()):
                operation["parameters"].append({
                    "name": family, "in": "query", "required": False, "style": "deepObject", "explode": True,
                    "description": f"{family}[<key>]=<value>: only those whose {family} has that value",
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}}})
            responses = operation["responses"]
            malformed = responses.pop("400", None)
            if malformed is not None:  # upstatd's 400s are Better Stack's 422s
                responses.setdefault("422", {**malformed, "description": "The request cannot be taken: a field "
                                             "or parameter fails validation, is missing, of the wrong type or "
                                             "unknown; bad JSON"})
            if item is not None and item.query is SlaQuery:
                responses["400"] = {"description": "The date range is invalid", "headers": malformed["headers"],
                                    "content": error}
            for status, response in responses.items():
                response["headers"].pop("Idempotent-Replayed", None)
                response["headers"].pop("Upstat-Version", None)
                if status == "422":
                    response["content"] = invalid
                elif int(status) >= 400:
                    response["content"] = error
                elif item is not None and (shape := _answer(item)) is not None:
                    response["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{shape}"}}}
    return document


async def _serve(request: web.Request) -> web.Response:
    if not _document:  # the route table is complete once the daemon serves
        _document.append(msgspec.json.encode(openapi_document()))
    return web.Response(body=_document[0], content_type="application/json")


for _prefix in PREFIXES:
    async def get_openapi(request: web.Request) -> web.Response:
        return await _serve(request)
    get_openapi.__name__ = get_openapi.__qualname__ = f"get_openapi_{_prefix.strip('/').replace('/', '_')}"
    public_route("GET", f"{_prefix}openapi.json", "Better Stack: this dialect's OpenAPI 3.1 document "
                 "(/api/v2 and /api/v3: the same document)")(get_openapi)
