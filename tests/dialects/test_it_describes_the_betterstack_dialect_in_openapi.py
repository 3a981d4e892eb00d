"""GET /api/v2/openapi.json (and /api/v3/openapi.json, the same document): the Better Stack
dialect's own OpenAPI 3.1 document, generated from the route table (every /api/v2 and /api/v3
route, whoever declared it), valid, in Better Stack's words (bearer tokens, its error
envelope, JSON:API answers); and true: schemathesis sends every operation generated requests
and meets no server error and no status, content type, header or body the document does not
describe. (Generated urls point at a closed loopback port, as the other dialects' runs do.)"""

from __future__ import annotations

import asyncio
import re
import time

from openapi_spec_validator import validate

import upstatd.api.routes.all  # noqa: F401  (registers every route)
from loopback import closed_port
from upstatd.api.routes import ROUTES

MAX_EXAMPLES = 8
FAST = ("api: {rate_limit: {per_token_minute: 100000, per_token_hour: 100000, global_minute: 100000}}")


async def test_the_document_covers_every_route_of_the_dialect_in_its_words(api):
    status, headers, document = await api.request("GET", "/api/v2/openapi.json", token=None)
    assert status == 200 and headers["Content-Type"].startswith("application/json"), document
    validate(document)
    _, _, v3 = await api.request("GET", "/api/v3/openapi.json", token=None)
    assert v3 == document
    own = [item for item in ROUTES if item.path.startswith(("/api/v2/", "/api/v3/"))]
    assert len(own) >= 43
    for item in own:
        operation = document["paths"][re.sub(r"\{([^}:]+)(?::[^}]*)?\}", r"{\1}", item.path)][item.method.lower()]
        assert operation["summary"] == item.summary
        assert "422" in operation["responses"], item.path
        assert all("$ref" not in parameter for parameter in operation["parameters"])  # no Upstat-Version
    assert document["components"]["securitySchemes"] == {"bearer": {
        "type": "http", "scheme": "bearer", "description": "An upstatd API token (upst_…)"}}
    incidents = document["paths"]["/api/v3/incidents"]["get"]
    assert {"from", "to", "monitor_id", "heartbeat_id", "resolved", "acknowledged", "metadata", "page",
            "per_page"} <= {parameter["name"] for parameter in incidents["parameters"]}
    assert incidents["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Page"}
    assert "400" not in incidents["responses"]
    sla = document["paths"]["/api/v2/heartbeats/{id}/availability"]["get"]["responses"]
    assert sla["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert document["paths"]["/api/v2/monitors"]["post"]["responses"]["422"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}
    _, _, main = await api.request("GET", "/api/openapi.json", token=None)
    # upstatd's own document leaves the dialect's routes out (but where to find their document)
    assert [path for path in main["paths"] if path.startswith(("/api/v2/", "/api/v3/"))] == [
        "/api/v2/openapi.json", "/api/v3/openapi.json"]


def run(document: dict, base_url: str, token: str) -> tuple[list[str], int]:
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                                   response_schema_conformance, status_code_conformance)

    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_headers_conformance, response_schema_conformance]
    target = f"http://127.0.0.1:{closed_port()}/"
    failures: list[str] = []
    calls = 0
    auth = {"Authorization": f"Bearer {token}"}
    made = iter(range(10**6))
    with requests.Session() as session:
        def post(path: str, body: dict) -> str:
            answer = session.post(base_url + path, headers=auth, json=body)
            assert answer.status_code == 201, answer.text
            return answer.json()["data"]["id"]

        fresh = {  # a real object for every other request that names one (a generated id names none)
            "/api/v2/monitors": lambda: post("/api/v2/monitors", {
                "monitor_type": "status", "url": f"{target}{next(made)}", "paused": True}),
            "/api/v2/heartbeats": lambda: post("/api/v2/heartbeats", {"name": "made", "period": 3600}),
            "/api/v2/monitor-groups": lambda: post("/api/v2/monitor-groups", {"name": f"made {next(made)}"}),
            "/api/v2/heartbeat-groups": lambda: post("/api/v2/heartbeat-groups", {"name": f"made {next(made)}"}),
            "/api/v2/incidents": lambda: post("/api/v3/incidents", {"summary": "made"}),
            "/api/v3/incidents": lambda: post("/api/v3/incidents", {"summary": "made"}),
        }
        for result in schemathesis.openapi.from_dict(document).get_all_operations():
            operation = result.ok()
            turn = 0

            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def exercise(case) -> None:
                nonlocal calls, turn
                turn += 1
                make = fresh.get(operation.path.split("/{", 1)[0])
                if "{id}" in operation.path and make is not None and turn % 2:
                    case.path_parameters["id"] = make()
                    if "{comment_id}" in operation.path:
                        case.path_parameters["comment_id"] = post(
                            f"/api/v3/incidents/{case.path_parameters['id']}/comments", {"content": "made"})
                if isinstance(case.body, dict) and "url" in case.body:
                    case.body["url"] = f"{target}{next(made)}"  # nothing probed but loopback
                response = case.call(base_url=base_url, session=session, timeout=10, headers=auth)
                calls += 1
                try:
                    case.validate_response(response, checks=checks)
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"{operation.label}: {exc}\n  sent {case.method} {case.formatted_path} "
                                    f"query={case.query} body={case.body!r:.300}\n  got {response.status_code} "
                                    f"{response.text[:300]}")

            exercise()
    return failures, calls


async def test_schemathesis_finds_the_document_true(start_api):
    api = await start_api(FAST)
    _, _, document = await api.request("GET", "/api/v2/openapi.json", token=None)
    started = time.monotonic()
    failures, calls = await asyncio.to_thread(run, document, api.url, api.admin_token)
    assert not failures, "\n\n".join(failures[:10])
    assert calls >= sum(len(methods) for methods in document["paths"].values())
    assert time.monotonic() - started < 120
