"""A query parameter a route does not take is a 400 naming it, on every route of
the route table (single-object GETs and routes without any query parameter
included), before the handler runs; the parameters a route declares pass."""

from __future__ import annotations

import re

import msgspec
import pytest

import upstatd.api.routes.all  # noqa: F401  (registers every route)
from upstatd.api import envelopes
from upstatd.api.routes import ROUTES
from upstatd.api.routes.meta import PUBLIC_ROUTES

EVERY = [*ROUTES, *PUBLIC_ROUTES]
NOW = 1_800_000_000
# one daemon for the module (module_api); make test keeps the module on one worker
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("unknown-parameters")]


def concrete(path: str) -> str:
    """Path parameters filled with ids of nothing: the query is refused before any lookup."""
    return re.sub(r"\{[^}]+\}", "x_0", path)


@pytest.mark.parametrize("route", EVERY, ids=[f"{route.method} {route.path}" for route in EVERY])
async def test_an_unknown_parameter_is_a_400_naming_it(module_api, route):
    status, _, answer = await module_api.request(route.method, concrete(route.path) + "?bogus=1")
    if not envelopes.in_upstatd_shape(route.path) and "errors" in answer:  # keyed by field (Better Stack's)
        assert status == 422 and "bogus" in answer["errors"], answer
        error = {"type": "invalid_request_error", "code": "parameter_invalid", "param": "bogus",
                 "message": answer["errors"]["bogus"][0]}
    else:
        assert status == 400, answer
        error = dict(answer["error"])
        if not envelopes.in_upstatd_shape(route.path):  # UptimeGuard's: its own code, upstatd's type and param
            assert error["code"] == "VALIDATION_ERROR", error
            error["code"] = "parameter_invalid"
            upstatd = (error.get("details") or {}).get("upstatd")
            if upstatd is not None:  # UptimeIO's: upstatd's words in error.details.upstatd
                assert error["details"]["field"] == "bogus", error
                error.update(type=upstatd["type"], param=upstatd["param"])
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "parameter_invalid",
                                                              "bogus"), error
    assert error["message"].startswith(f"bogus is not a known parameter of {route.method} {route.path} (")
    takes = [field.encode_name for field in msgspec.structs.fields(route.query)] if route.query else []
    assert (", ".join(takes) if takes else "it takes no query parameters") in error["message"]


@pytest.mark.parametrize("route", [route for route in ROUTES if route.query is not None],
                         ids=lambda route: f"{route.method} {route.path}")
async def test_the_declared_parameters_pass(module_api, route):
    names = [field.encode_name for field in msgspec.structs.fields(route.query)]
    # a list's paging; a window's ends (an SLA) otherwise
    query = ("limit=5" if "limit" in names else "per_page=5" if "per_page" in names  # a dialect's paging
             else f"from={NOW - 86400}&to={NOW}" if route.path.startswith("/api/")
             else "from=2027-01-14T00:00:00Z&to=2027-01-15T00:00:00Z")  # UptimeGuard's: ISO 8601
    status, _, answer = await module_api.request(route.method, concrete(route.path) + "?" + query)
    assert status in (200, 404), answer  # 404: the object named in the path does not exist


async def test_it_is_refused_before_the_body_is_read_and_without_using_the_idempotency_key(module_api):
    headers = {"Idempotency-Key": "first-try"}
    body = {"name": "ci", "permissions": {"monitors": ["read"]}}
    status, _, answer = await module_api.request("POST", "/api/tokens?expand=secret", json=body, headers=headers)
    assert (status, answer["error"]["param"]) == (400, "expand")
    status, headers, made = await module_api.request("POST", "/api/tokens", json=body, headers=headers)
    assert status == 201 and "Idempotent-Replayed" not in headers, made
