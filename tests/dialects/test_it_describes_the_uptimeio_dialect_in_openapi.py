"""GET /uptimeio/openapi.json: the dialect's own OpenAPI 3.1 document (upstatd's main one
leaves the dialect out), valid, covering every route of the dialect in its own words."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

import upstatd.api.routes.all  # noqa: F401  (registers every route)
from upstatd.api.routes import ROUTES
from uptimeiokit import io


async def test_the_document_covers_every_route_of_the_dialect(api):
    status, _, document = await io(api, "GET", "/uptimeio/openapi.json")
    assert status == 200, document
    validate(document)
    own = [item for item in ROUTES if item.path.startswith("/uptimeio/")]
    assert len(own) >= 11
    for item in own:
        operation = document["paths"][re.sub(r"\{([^}:]+)(?::[^}]*)?\}", r"{\1}", item.path)][item.method.lower()]
        assert operation["summary"] == item.summary
        assert "422" not in operation["responses"] and "400" in operation["responses"]
        assert all("$ref" not in parameter for parameter in operation["parameters"])  # no Upstat-Version
    assert document["components"]["securitySchemes"] == {"apiKey": {
        "type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An upstatd API token (upst_…)"}}
    error = document["components"]["schemas"]["ErrorResponse"]
    assert error["properties"]["success"] == {"const": False}
    assert {"VALIDATION_ERROR", "NOT_FOUND", "CONFLICT", "RATE_LIMIT_EXCEEDED"} <= set(
        error["properties"]["error"]["properties"]["code"]["enum"])
    _, _, main = await api.request("GET", "/api/openapi.json", token=None)
    assert not [path for path in main["paths"] if path.startswith("/uptimeio")]
