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


async def test_schemathesis_finds_the_document_true(start_api):
    """upstatd's schemathesis run (tests/api) over the dialect's document: no server error, every
    answer as documented, every request the document allows accepted."""
    import asyncio
    import sys
    from pathlib import Path
    sys.path.append(str(Path(__file__).parent.parent / "api"))
    from test_it_describes_the_api_in_openapi import run_schemathesis

    api = await start_api("api: {rate_limit: {per_token_minute: 100000, per_token_hour: 100000, "
                          "global_minute: 100000}}")
    _, _, document = await io(api, "GET", "/uptimeio/openapi.json")
    # the runner authenticates with Authorization: Bearer, which the dialect takes too; left as
    # X-API-Key, schemathesis would send a generated key and meet nothing but 401s
    document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    document["security"] = [{"bearer": []}]
    statuses: dict = {}
    failures, calls = await asyncio.to_thread(run_schemathesis, document, api.url, api.admin_token, 10,
                                              statuses=statuses)
    assert not failures, "\n\n".join(failures)
    assert statuses["POST /uptimeio/api/incidents"][201] >= 5, statuses  # generated bodies were accepted
    assert statuses["GET /uptimeio/api/incidents"][200] >= 5, statuses
    assert not failures, "\n\n".join(failures)
    assert calls >= sum(len(methods) for methods in document["paths"].values())
