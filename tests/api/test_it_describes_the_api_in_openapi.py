"""GET /api/openapi.json: an OpenAPI 3.1 document generated from the route table,
valid by openapi-spec-validator, covering every route, and true: schemathesis
sends every operation a bounded number of generated requests to the running
daemon and finds no server error and no answer the document does not describe."""

from __future__ import annotations

import asyncio
import re
import time

import msgspec

import upstatd.api.routes.all  # noqa: F401  (registers every route)
from loopback import closed_port
from upstatd.api import openapi
from upstatd import API_VERSIONS as VERSIONS
from upstatd.api.routes import ROUTES, Route
from upstatd.api.routes.meta import PUBLIC_ROUTES

MAX_EXAMPLES = 10         # per operation; the whole run takes a few seconds
RUN_BUDGET_SECONDS = 90


def openapi_path(path: str) -> str:
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", r"{\1}", path)


async def test_the_document_is_public_and_valid(api):
    from openapi_spec_validator import validate

    status, headers, document = await api.request("GET", "/api/openapi.json", token=None)
    assert status == 200, document
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Upstat-Version"] == VERSIONS[-1] and headers["Request-Id"].startswith("req_")
    assert document["openapi"].startswith("3.1")
    validate(document)


async def test_it_covers_every_route_with_its_parameters_and_errors(api):
    _, _, document = await api.request("GET", "/api/openapi.json", token=None)
    schemas = document["components"]["schemas"]
    assert {"ErrorResponse", "ErrorDetail"} <= set(schemas)
    for item in (*ROUTES, *PUBLIC_ROUTES):
        operation = document["paths"][openapi_path(item.path)][item.method.lower()]
        label = f"{item.method} {item.path}"
        assert operation["summary"] == item.summary, label
        responses = operation["responses"]
        assert str(item.status) in responses, label
        expected_errors = {"400", "500"} if item in PUBLIC_ROUTES else {"400", "401", "403", "429", "500"}
        names = {p.get("name") for p in operation["parameters"]} | {
            p["$ref"].rsplit("/", 1)[1] for p in operation["parameters"] if "$ref" in p}
        assert "Upstat-Version" in names, label
        for name in re.findall(r"\{([^}:]+)", item.path):
            assert name in names, (label, name)
            expected_errors.add("404")
        if item.method == "POST":
            assert "Idempotency-Key" in names, label
            expected_errors |= {"409", "413"}
        assert expected_errors <= set(responses), (label, sorted(responses))
        for status, response in responses.items():
            assert {"Request-Id", "Upstat-Version", "X-RateLimit-Remaining"} <= set(response["headers"]), label
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorResponse"}, (label, status)
        if item.query is not None:
            fields = {field.encode_name for field in msgspec.structs.fields(item.query)}
            assert fields <= names, (label, fields - names)
        if item.body is not None:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            assert body == {"$ref": f"#/components/schemas/{item.body.__name__}"} or "$ref" in body, label
        if item in PUBLIC_ROUTES:
            assert operation["security"] == [], label
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "An API token: `Authorization: Bearer upst_…`"}


def test_a_list_query_is_described_with_its_bounds():
    from upstatd.api.pagination import ListQuery

    async def handler(request):  # pragma: no cover - never called
        raise AssertionError

    item = Route("GET", "/api/things", handler, "monitors", "read", "List things", query=ListQuery)
    document = openapi.document([item])
    parameters = {p["name"]: p for p in document["paths"]["/api/things"]["get"]["parameters"] if "name" in p}
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 10,
                                             "description": "How many objects to return, 1-100"}
    assert parameters["starting_after"]["schema"]["type"] == "string"
    assert not parameters["limit"]["required"]


def test_a_route_that_declares_no_schemas_is_still_described():
    from openapi_spec_validator import validate

    async def handler(request):  # pragma: no cover - never called
        raise AssertionError

    handler = openapi.responds(422)(handler)
    bare = [Route("POST", "/api/widgets/{widget_id}/poke", handler, "monitors", "update", "Poke a widget"),
            Route("DELETE", "/api/widgets/{widget_id}", handler, "monitors", "delete", "Delete", status=204),
            Route("GET", "/api/widgets", handler, "monitors", "read", "List", response=list[int])]
    document = openapi.document(bare)
    validate(document)
    poke = document["paths"]["/api/widgets/{widget_id}/poke"]["post"]
    assert poke["requestBody"]["content"]["application/json"]["schema"] == openapi.GENERIC
    assert poke["responses"]["200"]["content"]["application/json"]["schema"] == openapi.GENERIC
    assert {"404", "409", "413", "422"} <= set(poke["responses"])
    assert "content" not in document["paths"]["/api/widgets/{widget_id}"]["delete"]["responses"]["204"]
    listed = document["paths"]["/api/widgets"]["get"]["responses"]["200"]["content"]["application/json"]
    envelope = document["components"]["schemas"][listed["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(envelope["required"]) == {"object", "data", "has_more", "url"}


# -- schemathesis against the running daemon ------------------------------------------

def loopback_only(case, target: str) -> None:
    """Generated monitors (and, later, webhooks) would reach whatever host hypothesis made
    up: every `url` in a body is pointed at a closed loopback port instead, and a monitor
    becomes an HTTP one without other types' options (a DNS nameserver, an ICMP host).
    A route that takes another field naming a network target must be added here."""
    body = case.body
    if not isinstance(body, dict):
        return
    if "url" in body:
        body["url"] = target
    if case.path.startswith("/api/monitors"):
        if "type" in body:
            body["type"] = "http"
        for kind in ("tcp", "icmp", "dns", "tls"):
            body.pop(kind, None)


def run_schemathesis(document: dict, base_url: str, token: str, max_examples: int) -> tuple[list[str], int]:
    """Blocking: runs in a thread while the daemon serves on the test's event loop."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                                   response_schema_conformance, status_code_conformance)

    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_headers_conformance, response_schema_conformance]
    schema = schemathesis.openapi.from_dict(document)
    target = f"http://127.0.0.1:{closed_port()}/"
    failures: list[str] = []
    calls = 0
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            failed: list[str] = []

            @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def exercise(case) -> None:
                nonlocal calls
                if time.monotonic() > deadline or len(failed) >= 3:
                    return
                loopback_only(case, target)
                response = case.call(base_url=base_url, session=session, timeout=10,
                                     headers={"Authorization": f"Bearer {token}"})
                calls += 1
                try:
                    case.validate_response(response, checks=checks)
                except Exception as exc:  # collected, so one run reports every operation
                    failed.append(f"{operation.label}: {exc}\n  sent {case.method} {case.formatted_path} "
                                  f"query={case.query} body={case.body!r:.300}")

            exercise()
            failures.extend(failed)
    return failures, calls


async def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(start_api):
    api = await start_api("api: {rate_limit: {per_token_minute: 100000, per_token_hour: 100000, "
                          "global_minute: 100000}}")
    _, _, document = await api.request("GET", "/api/openapi.json", token=None)
    started = time.monotonic()
    failures, calls = await asyncio.to_thread(run_schemathesis, document, api.url, api.admin_token, MAX_EXAMPLES)
    assert not failures, "\n\n".join(failures)
    operations = sum(len(methods) for methods in document["paths"].values())
    assert calls >= operations, (calls, operations)
    assert time.monotonic() - started < RUN_BUDGET_SECONDS + 30
