"""Token permissions name the resources the route table declares, and only
those: a resource without a route (widgets, or one DESIGN.md lists for later)
cannot be granted (422 naming permissions.<resource>); a permissions object of the wrong shape is a 400. The admin token made at first
start holds every action on exactly the route table's resources."""

from __future__ import annotations

import pytest

import upstatd.api.routes.all  # noqa: F401  (registers every route)
from upstatd import permissions
from upstatd.api.routes import ROUTES

ROUTED = sorted({route.resource for route in ROUTES})

# permissions sent, status, param, words in the message
REFUSED = [
    ({"widgets": ["read"], "monitors": ["read"]}, 422, "permissions.widgets", "unknown resource"),
    ({"monitors": ["frobnicate"]}, 422, "permissions.monitors", "unknown action 'frobnicate'"),
    ({}, 422, "permissions", "at least one permission"),
    ({"monitors": "read"}, 400, "permissions.monitors", "must be a list of actions"),
    ({"monitors": [1]}, 400, "permissions.monitors", "must be a list of actions"),
    ({"widgets": "read"}, 400, "permissions.widgets", "must be a list of actions"),
    (["monitors"], 400, "permissions", "permissions must be an object, got a list"),
]


def test_the_resources_are_the_route_tables():
    assert list(permissions.resources()) == ROUTED
    assert permissions.everything() == {resource: list(permissions.ACTIONS) for resource in ROUTED}


@pytest.mark.parametrize("granted, status, param, words", REFUSED, ids=[case[2] for case in REFUSED])
async def test_a_resource_without_routes_cannot_be_granted(api, granted, status, param, words):
    answer_status, _, answer = await api.request("POST", "/api/tokens", json={"name": "ci", "permissions": granted})
    assert answer_status == status, answer
    error = answer["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "parameter_invalid", param)
    assert words in error["message"], error["message"]
    if "unknown resource" in words:
        assert error["message"].endswith(f"(one of: {', '.join(ROUTED)})")


@pytest.mark.parametrize("resource", ROUTED)
async def test_every_resource_with_routes_can_be_granted(api, resource):
    status, _, made = await api.request("POST", "/api/tokens", json={"name": "ci", "permissions": {resource: ["*"]}})
    assert status == 201, made
    assert made["permissions"] == {resource: list(permissions.ACTIONS)}


async def test_the_admin_token_holds_exactly_the_route_tables_resources(api):
    _, _, listed = await api.request("GET", "/api/tokens")
    (admin,) = [token for token in listed["data"] if token["name"] == "admin"]
    assert admin["permissions"] == {resource: list(permissions.ACTIONS) for resource in ROUTED}


def test_the_cli_text_form_refuses_them_too():
    with pytest.raises(permissions.PermissionSyntaxError, match="unknown resource 'widgets'"):
        permissions.parse("monitors:read,widgets:*")
    assert permissions.parse("*") == permissions.everything()
