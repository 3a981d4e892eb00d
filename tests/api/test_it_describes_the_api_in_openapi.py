"""GET /api/openapi.json: an OpenAPI 3.1 document generated from the route table,
valid by openapi-spec-validator, covering every route, and true: schemathesis
sends every operation a bounded number of generated requests to the running
daemon and finds no server error and no answer the document does not describe."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec

import upstatd.api.routes.all  # noqa: F401  (registers every route)
from loopback import closed_port
from upstatd.api import envelopes, openapi
from upstatd import API_VERSIONS as VERSIONS
from upstatd.api.routes import ROUTES, Route
from upstatd.api.routes.meta import PUBLIC_ROUTES

sys.path.append(str(Path(__file__).parent.parent / "oncall"))  # rowskit: people seeded in a state file
from rowskit import add_person  # noqa: E402
sys.path.append(str(Path(__file__).parent.parent / "catalog"))  # catalogrows: a service seeded there too
from catalogrows import add_service  # noqa: E402

MAX_EXAMPLES = 10         # per operation: ~520 requests, 6-10 s for the whole document on 2 cores
RUN_BUDGET_SECONDS = 90
POLICY_CHANNEL = "policy-hook"   # the shared alert channel (config key) escalation policies' targets name


# The dialects' routes (upstatd/api/dialects/) are left out of the document, skipped here: they
# answer in another product's shapes and error envelope, not upstatd's ErrorResponse; tests/dialects
# replay their reference's requests instead (api/envelopes.py).
DESCRIBED = [item for item in ROUTES if envelopes.in_upstatd_shape(item.path)]


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
    for item in (*DESCRIBED, *PUBLIC_ROUTES):
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


async def test_it_describes_answers_as_they_are(api):
    """The ping body is text or bytes, not JSON; a created token's secret is null in a replay."""
    _, _, document = await api.request("GET", "/api/openapi.json", token=None)
    body = document["paths"]["/api/heartbeats/{id}/pings/{n}/body"]["get"]
    assert set(body["responses"]["200"]["content"]) == {"text/plain", "application/octet-stream"}
    n = next(p for p in body["parameters"] if p.get("name") == "n")
    assert n["schema"]["pattern"] == "^[0-9]{1,18}$"
    secret = document["components"]["schemas"]["CreatedToken"]["properties"]["secret"]
    assert {"type": "null"} in secret["anyOf"], secret


async def test_it_carries_the_validators_rules(api):
    """A few of the rules the validators apply, as the document states them."""
    _, _, document = await api.request("GET", "/api/openapi.json", token=None)
    schemas = document["components"]["schemas"]
    token = schemas["TokenCreate"]["properties"]
    assert token["metadata"]["propertyNames"] == {"minLength": 1, "maxLength": 40}
    assert token["permissions"]["additionalProperties"]["minItems"] == 1
    heartbeat = schemas["HeartbeatCreate"]
    assert [set(branch["required"]) for branch in heartbeat["oneOf"]] == [
        {"period_seconds"}, {"cron"}, {"oncalendar"}]
    monitor = schemas["MonitorCreate"]
    http = next(branch for branch in monitor["oneOf"] if branch["properties"]["type"] == {"const": "http"})
    assert http["properties"]["tcp"] is False and http["properties"]["url"]["pattern"].startswith("^[Hh]")
    assert monitor["properties"]["http"]["additionalProperties"] is False
    assert monitor["properties"]["interval_seconds"]["minimum"] == 1
    channel = schemas["ChannelCreate"]
    email = next(branch for branch in channel["oneOf"] if branch["properties"]["type"] == {"const": "email"})
    assert email["required"] == ["type", "email"] and email["properties"]["webhook"] is False
    block = channel["properties"]["email"]
    assert block["additionalProperties"] is False and block["required"] == ["host", "from", "to"]
    assert "required" not in schemas["ChannelUpdate"]["properties"]["email"]  # merged into the stored block
    assert schemas["ChannelCreate"]["properties"]["pagerduty"]["properties"]["routing_key"]["pattern"] == \
        "^[A-Za-z0-9]{20,64}$"


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

CA_FILE = "/etc/ssl/certs/ca-certificates.crt"  # a readable PEM bundle, for a generated ca_file
# one small image of each type a status page's logo may be
LOGOS = {"image/png": base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
         "image/svg+xml": b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
         "image/webp": b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00",
         "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\xff\xd9"}
DEFAULT_INTERVAL = 60  # config.schema.Defaults.interval: a timeout given alone must not exceed it


def loopback_only(case, target: str) -> None:
    """Generated monitors and webhook endpoints would reach whatever host hypothesis made
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
        # a proxy is a network target too (and `env` would take the test runner's)
        if isinstance(body.get("http"), dict) and body["http"].get("proxy") is not None:
            body["http"]["proxy"] = target.rstrip("/")
    if case.path.startswith("/api/alert-channels"):
        # every channel type's target: the closed port (Apprise through its json:// kind);
        # an update goes to the webhook channel FRESH made, so it stays a webhook one
        port = target.rsplit(":", 1)[1].strip("/")
        for kind, name, value in (("webhook", "url", target), ("pagerduty", "url", target),
                                  ("apprise", "url", f"json://127.0.0.1:{port}/"),
                                  ("email", "host", "127.0.0.1"), ("email", "port", int(port))):
            if isinstance(body.get(kind), dict) and (name in body[kind] or name in ("url", "host")):
                body[kind][name] = value
        if case.method in ("PATCH", "PUT"):
            if "type" in body:
                body["type"] = "webhook"
            for kind in ("email", "apprise", "pagerduty"):
                body.pop(kind, None)


def within_the_documented_gaps(case, now: int) -> None:
    """What the document cannot say (docs/api.md, "What the document cannot say"): values
    that depend on the clock, on the database or on the host, and comparisons between
    fields. A generated value there is moved to one the server accepts, each rule for one
    gap listed there; everything else the document allows must be accepted as generated."""
    # an integer is written without a fraction (3, not 3.0, which JSON Schema counts as an integer)
    case.body = body = _whole_numbers(case.body)
    case.query = query = _whole_numbers(case.query)
    if isinstance(body, dict):
        # times that must lie ahead: expires_at (tokens), resume_at (a monitor's pause)
        for name in ("expires_at", "resume_at"):
            if isinstance(body.get(name), int) and body[name] <= now + 60:
                body[name] = now + 86400 + body[name] % 86400
        # ids that must name existing monitors, heartbeats or groups, or alert channels
        for name in ("affected_monitor_ids", "alert_channels", "monitor_ids", "heartbeat_ids", "group_ids",
                     "affected_resource_ids"):
            if body.get(name):
                body[name] = []
        # and an escalation policy (esc_…) of a monitor or heartbeat
        if isinstance(body.get("escalation_policy"), str):
            body["escalation_policy"] = None
        # an escalation policy's targets must name people, schedules or shared channels: the file's channel
        for step in body.get("steps") if isinstance(body.get("steps"), list) else ():
            if isinstance(step, dict) and isinstance(step.get("targets"), list):
                step["targets"] = [{"type": "channel", "id": POLICY_CHANNEL}]
        # with repeat, repeat_delay_seconds plus the first step's wait must be at least 60 s
        if isinstance(body.get("repeat"), int) and body["repeat"] > 0 and \
                not (isinstance(body.get("repeat_delay_seconds"), (int, float)) and body["repeat_delay_seconds"] >= 60):
            body["repeat_delay_seconds"] = 60
        # a person's contact methods name existing channels (a generated Apprise URL is rarely one Apprise knows)
        if body.get("contact_methods"):
            body["contact_methods"] = []
        # a catalog service (svc_…) of a monitor or heartbeat, and those a service depends on
        if isinstance(body.get("service_id"), str):
            body["service_id"] = None
        if body.get("depends_on"):
            body["depends_on"] = []
        if isinstance(body.get("depends_on_id"), str):
            body["depends_on_id"] = SERVICE
        # a service's owner must exist: the seeded person
        if isinstance(body.get("owner"), dict):
            body["owner"] = {"type": "user", "id": PERSON}
        # and a group (grp_…) of the monitor's or heartbeat's kind
        if isinstance(body.get("group_id"), str):
            body["group_id"] = None
        # a maintenance window's ends_at after its starts_at
        if isinstance(body.get("starts_at"), int) and isinstance(body.get("ends_at"), int) \
                and body["ends_at"] <= body["starts_at"]:
            body["starts_at"], body["ends_at"] = body["ends_at"], body["starts_at"]
            if body["ends_at"] == body["starts_at"]:
                body["starts_at"] -= 1 if body["starts_at"] > 0 else -1
                body["starts_at"], body["ends_at"] = sorted((body["starts_at"], body["ends_at"]))
        # people that must exist (seeded in the state file: the people resource is another part's)
        if isinstance(body.get("layers"), list):
            for layer in body["layers"]:
                if isinstance(layer, dict) and isinstance(layer.get("users"), list):
                    layer["users"] = [PERSON for _ in layer["users"]]
        if isinstance(body.get("user_id"), str):
            body["user_id"] = PERSON
        # ids that must name an existing incident, or a section of the page
        for name in ("incident_id", "section_id"):
            if body.get(name) is not None:
                body[name] = None
        # an update may not clear (null) the only schedule (period_seconds, as FRESH makes them)
        schedule = [body.get(name) for name in ("period_seconds", "cron", "oncalendar")]
        if "period_seconds" in body and body["period_seconds"] is None and all(item is None for item in schedule):
            del body["period_seconds"]
        # timeout_seconds <= interval_seconds (the one given, else the default)
        timeout = body.get("timeout_seconds")
        if isinstance(timeout, (int, float)):
            interval = body.get("interval_seconds", DEFAULT_INTERVAL)
            if isinstance(interval, (int, float)) and timeout > interval:
                body["timeout_seconds"] = interval
        # a template must compile as Jinja2 (a generated "{{" or "{%" rarely does)
        for templates in (body.get("templates"), body.get("webhook")):
            if isinstance(templates, dict):
                for part in ("subject", "text", "html", "body"):
                    if isinstance(templates.get(part), str):
                        templates[part] = templates[part].replace("{", "(")
        # a CA file must exist on the daemon's host
        block = body.get("http")
        if isinstance(block, dict) and "ca_file" in block:
            if os.path.exists(CA_FILE):
                block["ca_file"] = CA_FILE
            else:
                del block["ca_file"]
    # a region must be one the config declares (the daemon's own, or under regions:)
    if isinstance(body, dict) and case.path.startswith("/api/agents") and isinstance(body.get("region"), str):
        body["region"] = REGION
    if isinstance(body, dict) and case.path.startswith("/api/monitors") and isinstance(body.get("regions"), list):
        body["regions"] = ["local", REGION][:len(body["regions"])]
    # a runbook's linked_to must name existing services, monitors, heartbeats or escalation policies
    if isinstance(body, dict) and body.get("linked_to") and case.path.startswith("/api/runbooks"):
        body["linked_to"] = []
    # a logo's bytes must be an image of the type its Content-Type names
    if case.path.endswith("/logo") and case.method == "PUT" and case.media_type in LOGOS:
        case.body = LOGOS[case.media_type]
    if isinstance(query, dict):
        # a cursor must name an object of the list
        query.pop("starting_after", None)
        query.pop("ending_before", None)
        # a range must not be reversed
        for low, high in (("created_gte", "created_lte"), ("from", "to")):
            if isinstance(query.get(low), int) and isinstance(query.get(high), int) and query[low] > query[high]:
                query[low], query[high] = query[high], query[low]
        # an SLA window is at most 400 days (`to` defaults to now)
        # a shifts range is at most 400 days (`to` defaults to 7 days after `from`)
        if case.path.endswith("/shifts") and isinstance(query.get("from"), int) and isinstance(query.get("to"), int):
            query["to"] = min(query["to"], query["from"] + 400 * 86400)
        if case.path.endswith("/sla") and isinstance(query.get("from"), int):
            end = query["to"] if isinstance(query.get("to"), int) else now
            query["from"] = max(query["from"], end - 399 * 86400)  # a day of margin: the server's now is later


# what an operation on /api/<things>/{id} is sent every other time: a new thing, made with this body
FRESH = {
    "/api/monitors": ("/api/monitors", {"type": "http", "url": "TARGET"}),
    "/api/heartbeats": ("/api/heartbeats", {"period_seconds": 3600}),
    "/api/incidents": ("/api/incidents", {"title": "made for schemathesis"}),
    "/api/tokens": ("/api/tokens", {"name": "made for schemathesis", "permissions": {"monitors": ["read"]}}),
    "/api/webhook-endpoints": ("/api/webhook-endpoints", {"url": "TARGET", "events": ["*"]}),
    "/api/alert-channels": ("/api/alert-channels", {"type": "webhook", "webhook": {"url": "TARGET"}}),
    "/api/monitor-groups": ("/api/monitor-groups", {"name": "made for schemathesis"}),
    "/api/heartbeat-groups": ("/api/heartbeat-groups", {"name": "made for schemathesis"}),
    "/api/maintenance": ("/api/maintenance", {"title": "made for schemathesis", "rrule": "FREQ=DAILY",
                                              "duration_seconds": 3600}),
    "/api/status-pages": ("/api/status-pages", {"name": "made for schemathesis", "slug": "SLUG"}),
    "/api/people": ("/api/people", {"name": "made for schemathesis"}),
    "/api/on-call": ("/api/on-call", {"name": "made for schemathesis"}),
    "/api/escalation-policies": ("/api/escalation-policies", {"name": "made for schemathesis", "steps": [
        {"wait_seconds": 0, "targets": [{"type": "channel", "id": POLICY_CHANNEL}]}]}),
    "/api/catalog/services": ("/api/catalog/services", {"name": "made for schemathesis"}),
    "/api/runbooks": ("/api/runbooks", {"title": "made for schemathesis", "steps": ["look"]}),
    "/api/agents": ("/api/agents", {"name": "made for schemathesis", "region": "schemathesis"}),
}
# and a child of that new thing for /api/<things>/{id}/<children>/{<child>_id}: path, body
FRESH_CHILDREN = {
    "section_id": ("sections", {"name": "made for schemathesis"}),
    "resource_id": ("resources", {"heartbeat_id": "HEARTBEAT"}),
    "report_id": ("reports", {"title": "made for schemathesis", "message": "made"}),
    "override_id": ("overrides", {"user_id": "usr_schemathesis", "starts_at": 1_800_000_000, "ends_at": 1_800_003_600}),
}
REGION = "schemathesis"  # the agents' region the run's daemon declares
PERSON = "usr_schemathesis"  # seeded (rowskit.add_person) in the state file the run's daemon starts on
SERVICE = "svc_schemathesis"  # seeded (catalogrows.add_service) there too: what new dependencies name


def _loopback_body(body: dict, target: str, made: Callable[[str], str] = lambda name: name) -> dict:
    """TARGET -> the closed loopback port; SLUG -> a slug not used yet; HEARTBEAT -> a new heartbeat's id."""
    return {key: target if value == "TARGET" else made(value) if value in ("SLUG", "HEARTBEAT")
            else _loopback_body(value, target, made) if isinstance(value, dict) else value
            for key, value in body.items()}


def _whole_numbers(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def run_schemathesis(document: dict, base_url: str, token: str, max_examples: int,
                     only: str | None = None, statuses: dict | None = None) -> tuple[list[str], int]:
    """Blocking: runs in a thread while the daemon serves on the test's event loop.
    `only`: the label of one operation (like "POST /api/heartbeats"), else every one;
    `statuses` collects the statuses each operation answered (label -> Counter)."""
    from collections import Counter
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, positive_data_acceptance,
                                                   response_headers_conformance, response_schema_conformance,
                                                   status_code_conformance)

    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_headers_conformance, response_schema_conformance, positive_data_acceptance]
    schema = schemathesis.openapi.from_dict(document)
    target = f"http://127.0.0.1:{closed_port()}/"
    failures: list[str] = []
    calls = 0
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    with requests.Session() as session:
        slugs = itertools.count()

        def made_value(name: str) -> str:
            if name == "SLUG":
                return f"made-{next(slugs)}"
            return make("/api/heartbeats", {"period_seconds": 3600})

        def make(path: str, body: dict) -> str:
            made = session.post(base_url + path, json=_loopback_body(body, target, made_value),
                                headers={"Authorization": f"Bearer {token}"})
            assert made.status_code == 201, made.text
            return made.json()["id"]

        for result in schema.get_all_operations():
            operation = result.ok()
            if only is not None and operation.label != only:
                continue
            failed: list[str] = []
            turn = 0

            @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def exercise(case) -> None:
                nonlocal calls, turn
                if time.monotonic() > deadline or len(failed) >= 3:
                    return
                turn += 1
                fresh = FRESH.get(operation.path.split("/{", 1)[0])
                if "{id}" in operation.path and fresh is not None and turn % 2:
                    # every other request names a real object, made for it (a generated id names none)
                    path, body = fresh
                    case.path_parameters["id"] = make(path, body)
                    for name, (children, child) in FRESH_CHILDREN.items():
                        if f"{{{name}}}" in operation.path:
                            case.path_parameters[name] = make(f"{path}/{case.path_parameters['id']}/{children}",
                                                              child)
                loopback_only(case, target)
                within_the_documented_gaps(case, int(time.time()))
                if case.headers and "Idempotency-Key" in case.headers:
                    # generated keys repeat across operations ("0", "00"): a key reused with another
                    # request is rightly a 409, which says nothing of this operation
                    case.headers["Idempotency-Key"] = f"{turn}-{uuid.uuid4()}"
                if isinstance(case.body, dict) and operation.path.endswith("/resources") and case.method == "POST":
                    # a resource must name an existing subject (docs/api.md): a heartbeat made for it
                    for name in ("monitor_id", "group_id", "section_id"):
                        case.body.pop(name, None)
                    case.body["heartbeat_id"] = made_value("HEARTBEAT")
                response = case.call(base_url=base_url, session=session, timeout=10,
                                     headers={"Authorization": f"Bearer {token}"})
                calls += 1
                if statuses is not None:
                    statuses.setdefault(operation.label, Counter())[response.status_code] += 1
                try:
                    case.validate_response(response, checks=checks)
                except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every operation
                    failed.append(f"{operation.label}: {exc}\n  sent {case.method} {case.formatted_path} "
                                  f"query={case.query} body={case.body!r:.300}\n  got {response.status_code} "
                                  f"{response.text[:300]}")

            exercise()
            failures.extend(failed)
    return failures, calls


async def test_schemathesis_finds_no_server_error_no_undocumented_answer_and_no_refused_valid_data(start_api,
                                                                                                  tmp_path):
    """Checks: no 5xx; every status, content type, header and body as documented; and every
    request the document allows (positive data) accepted: not a 400 or 422."""
    state = tmp_path / "people.db"
    add_person(str(state), PERSON, "Schemathesis")
    add_service(str(state), SERVICE, "Schemathesis")
    api = await start_api(f'storage: {{path: "{state}"}}\n'
                          "api: {rate_limit: {per_token_minute: 100000, per_token_hour: 100000, "
                          "global_minute: 100000}}\nalert_channels:\n"
                          f"  - {{key: {POLICY_CHANNEL}, type: webhook, webhook: {{url: 'http://127.0.0.1:9/'}}}}\n"
                          f"regions: {{{REGION}: {{agents: []}}}}\n")
    _, _, document = await api.request("GET", "/api/openapi.json", token=None)
    started = time.monotonic()
    statuses: dict = {}
    failures, calls = await asyncio.to_thread(run_schemathesis, document, api.url, api.admin_token, MAX_EXAMPLES,
                                              statuses=statuses)
    assert not failures, "\n\n".join(failures)
    operations = sum(len(methods) for methods in document["paths"].values())
    assert calls >= operations, (calls, operations)
    # the generated bodies reach the validators and pass them: every create made something,
    # every update of a real object changed it
    for item in DESCRIBED:
        label = f"{item.method} {openapi_path(item.path)}"
        if item.method == "POST" and item.status == 201 and "{" not in item.path:
            assert statuses[label][201] >= MAX_EXAMPLES // 2, (label, statuses[label])
        if item.method == "PATCH":
            assert statuses[label][200] >= 1, (label, statuses[label])
    assert time.monotonic() - started < RUN_BUDGET_SECONDS + 30


async def test_positive_data_acceptance_catches_a_document_looser_than_the_validators(start_api):
    """The check has teeth: without the rule that a heartbeat has exactly one schedule,
    schemathesis sends heartbeats with none, which the API refuses (422)."""
    api = await start_api()
    _, _, document = await api.request("GET", "/api/openapi.json", token=None)
    del document["components"]["schemas"]["HeartbeatCreate"]["oneOf"]
    failures, _ = await asyncio.to_thread(run_schemathesis, document, api.url, api.admin_token, 20,
                                          "POST /api/heartbeats")
    assert failures and all("Valid data should have been accepted" in failure for failure in failures), failures


def check_answers(document: dict, base_url: str, token: str, label: str, calls: list[dict]) -> list[str]:
    """Blocking: send `label`'s operation the given path parameters, each answer through
    schemathesis' conformance checks (status, content type, headers, body)."""
    import requests
    import schemathesis
    from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                                   response_schema_conformance, status_code_conformance)

    checks = [status_code_conformance, content_type_conformance, response_headers_conformance,
              response_schema_conformance]
    operation = next(result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()
                     if result.ok().label == label)
    failures = []
    with requests.Session() as session:
        for path_parameters in calls:
            case = operation.Case(path_parameters=path_parameters)
            response = case.call(base_url=base_url, session=session, headers={"Authorization": f"Bearer {token}"})
            try:
                case.validate_response(response, checks=checks)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{path_parameters}: {exc}")
    return failures


async def test_ping_bodies_are_answered_as_documented(api):
    """Generated requests never find a ping: these are real ones, UTF-8 and not."""
    _, _, made = await api.request("POST", "/api/heartbeats", json={"period_seconds": 3600})
    for body in ("héllo".encode(), b"\xff\xfe\x00binary"):
        async with api.session.post(made["ping_url"], data=body) as response:
            assert response.status == 200
    _, _, document = await api.request("GET", "/api/openapi.json", token=None)
    calls = [{"id": made["id"], "n": n} for n in ("1", "2", "3")]  # text, bytes, no such ping (JSON 404)
    failures = await asyncio.to_thread(check_answers, document, api.url, api.admin_token,
                                       "GET /api/heartbeats/{id}/pings/{n}/body", calls)
    assert not failures, "\n".join(failures)
    # and it can fail: the document as it was (JSON) does not describe a text answer
    document["paths"]["/api/heartbeats/{id}/pings/{n}/body"]["get"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"type": "object"}}}
    failures = await asyncio.to_thread(check_answers, document, api.url, api.admin_token,
                                       "GET /api/heartbeats/{id}/pings/{n}/body", calls[:1])
    assert failures, "a text answer passed for JSON"
