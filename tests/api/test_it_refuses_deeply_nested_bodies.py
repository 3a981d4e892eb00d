"""A body nested deeper than MAX_DEPTH (32 levels of arrays and objects) is a 400
naming the top-level field, at any depth: msgspec's own limit (about 1,000
levels) used to escape the body reader as a RecursionError and a 500. Nothing
is created, and brackets inside strings do not count."""

from __future__ import annotations

import pytest

from upstatd.api.bodies import MAX_DEPTH


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def body(field: str, levels: int) -> bytes:
    """A monitor create whose `field` holds `levels` nested arrays (the top-level object is one more)."""
    value = {"metadata": f'{{"a": {nested(levels - 1)}}}', "http": f'{{"headers": {nested(levels - 1)}}}'}[field]
    return (f'{{"type": "http", "url": "http://127.0.0.1:9/", "{field}": {value}}}').encode()


@pytest.mark.parametrize("levels", [500, 1_000, 10_000])
@pytest.mark.parametrize("field", ["metadata", "http"])
async def test_it_names_the_field_of_a_deep_body(api, field, levels):
    status, _, answer = await api.request("POST", "/api/monitors", data=body(field, levels),
                                          headers={"Content-Type": "application/json"})
    assert status == 400, answer
    error = answer["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "parameter_too_deep", field)
    assert f"more than {MAX_DEPTH} levels deep" in error["message"]
    _, _, listed = await api.request("GET", "/api/monitors")
    assert listed["data"] == []


@pytest.mark.parametrize("levels", [500, 1_000, 10_000])
async def test_it_refuses_deep_token_permissions(api, levels):
    raw = f'{{"name": "deep", "permissions": {{"monitors": {nested(levels)}}}}}'.encode()
    status, _, answer = await api.request("POST", "/api/tokens", data=raw,
                                          headers={"Content-Type": "application/json"})
    assert (status, answer["error"]["param"]) == (400, "permissions")


async def test_it_takes_the_limit_itself_and_brackets_in_strings(api):
    # MAX_DEPTH levels in all (the body, metadata, then arrays): refused for what it is, not its depth
    raw = f'{{"type": "http", "url": "http://127.0.0.1:9/", "metadata": {{"a": {nested(MAX_DEPTH - 2)}}}}}'
    status, _, answer = await api.request("POST", "/api/monitors", data=raw.encode(),
                                          headers={"Content-Type": "application/json"})
    assert (status, answer["error"]["code"]) != (400, "parameter_too_deep")
    # one level more is too deep
    raw = f'{{"type": "http", "url": "http://127.0.0.1:9/", "metadata": {{"a": {nested(MAX_DEPTH - 1)}}}}}'
    status, _, answer = await api.request("POST", "/api/monitors", data=raw.encode(),
                                          headers={"Content-Type": "application/json"})
    assert (status, answer["error"]["code"], answer["error"]["param"]) == (400, "parameter_too_deep", "metadata")
    # sixty brackets in a string are text, not depth
    raw = '{"type": "http", "url": "http://127.0.0.1:9/", "name": "' + "[" * 60 + '\\"{"}'
    status, _, answer = await api.request("POST", "/api/monitors", data=raw.encode(),
                                          headers={"Content-Type": "application/json"})
    assert status == 201, answer
    assert answer["name"] == "[" * 60 + '"{'


async def test_it_names_a_query_value_of_any_shape(api):
    status, _, answer = await api.request("GET", "/api/monitors?limit=" + nested(1_000))  # a request line holds 8 KiB at most
    assert (status, answer["error"]["param"]) == (400, "limit")
