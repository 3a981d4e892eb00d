"""/v1/openapi.json is true: schemathesis sends every /v1 operation generated requests and
finds no server error and no status, content type, header or body the document does not
describe. (The generated targets are pointed at a closed loopback port, and a monitor's type
at http, as tests/api/test_it_describes_the_api_in_openapi.py does for /api.)"""

from __future__ import annotations

import asyncio
import time

from loopback import closed_port
from uptimeguardkit import start_api  # noqa: F401  (a fixture)

MAX_EXAMPLES = 15


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
    with requests.Session() as session:
        made = iter(range(10**6))

        def fresh() -> str:
            answer = session.post(base_url + "/v1/monitors", headers=auth, json={
                "name": "made for schemathesis", "url": f"{target}{next(made)}", "type": "http",
                "interval_seconds": 3600})
            assert answer.status_code == 201, answer.text
            return answer.json()["id"]

        for result in schemathesis.openapi.from_dict(document).get_all_operations():
            operation = result.ok()
            turn = 0

            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def exercise(case) -> None:
                nonlocal calls, turn
                turn += 1
                if "{id}" in operation.path and turn % 2:
                    case.path_parameters["id"] = fresh()
                if isinstance(case.body, dict):
                    if "url" in case.body:
                        case.body["url"] = f"{target}{next(made)}"
                    if "type" in case.body:
                        case.body["type"] = "http"
                    case.body.pop("alert_channels", None)
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


async def test_schemathesis_finds_the_v1_document_true(start_api):
    api = await start_api("api: {rate_limit: {per_token_minute: 100000, per_token_hour: 100000, "
                          "global_minute: 100000}}")
    _, _, document = await api.request("GET", "/v1/openapi.json", token=None)
    started = time.monotonic()
    failures, calls = await asyncio.to_thread(run, document, api.url, api.admin_token)
    assert not failures, "\n\n".join(failures[:10])
    assert calls >= sum(len(methods) for methods in document["paths"].values())
    assert time.monotonic() - started < 90
