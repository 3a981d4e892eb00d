"""`body_keywords` of a heartbeat over the API: set at create, read back in
every answer (with its `otherwise` default filled in), replaced whole by a
PATCH, removed by null, kept by a PATCH of anything else; validated like the
YAML (the same parse_heartbeat) with the param named; in the OpenAPI
document; and it reaches the running heartbeat at once."""

from __future__ import annotations

import pytest

from upstatd.clock import FakeClock


async def ping(api, url: str, body: bytes) -> tuple[int, str]:
    async with api.session.post(url, data=body) as response:
        return response.status, await response.text()


async def last_kind(api, heartbeat_id: str) -> str:
    status, _, listed = await api.request("GET", f"/api/heartbeats/{heartbeat_id}/pings?limit=1")
    assert status == 200, listed
    return listed["data"][0]["kind"]


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=1_800_000_000))


async def test_it_sets_reads_replaces_and_removes_body_keywords(api):
    status, _, made = await api.request("POST", "/api/heartbeats", json={
        "name": "dump", "period_seconds": 3600, "body_keywords": {"failure": ["ERROR", "Traceback"]}})
    assert status == 201, made
    assert made["body_keywords"] == {"start": [], "success": [], "failure": ["ERROR", "Traceback"],
                                     "otherwise": "success"}
    path = f"/api/heartbeats/{made['id']}"
    assert (await api.request("GET", path))[2]["body_keywords"] == made["body_keywords"]
    assert await ping(api, made["ping_url"], b"pg_dump: error: no space left") == (200, "OK")
    assert await last_kind(api, made["id"]) == "fail"

    status, _, patched = await api.request("PATCH", path, json={"body_keywords": {"success": ["dump done"]}})
    assert status == 200, patched
    assert patched["body_keywords"] == {"start": [], "success": ["dump done"], "failure": [], "otherwise": "ignore"}
    assert await ping(api, made["ping_url"], b"error, but no success word") == (200, "OK")
    assert await last_kind(api, made["id"]) == "ignored"

    status, _, renamed = await api.request("PATCH", path, json={"name": "nightly dump"})
    assert (status, renamed["body_keywords"]) == (200, patched["body_keywords"])

    status, _, cleared = await api.request("PATCH", path, json={"body_keywords": None})
    assert (status, cleared["body_keywords"]) == (200, None)
    assert await ping(api, made["ping_url"], b"error") == (200, "OK")
    assert await last_kind(api, made["id"]) == "success"
    status, _, plain = await api.request("POST", "/api/heartbeats", json={"period_seconds": 60})
    assert (status, plain["body_keywords"]) == (201, None)


@pytest.mark.parametrize("keywords, status, param, words", [
    ({}, 422, "body_keywords", "needs at least one keyword in start, success or failure"),
    ({"failure": ["x"], "otherwise": "maybe"}, 422, "body_keywords.otherwise",
     "must be one of success, failure, ignore, got 'maybe'"),
    ({"failure": ["   "]}, 422, "body_keywords.failure.0", "must not be blank"),
    ({"fail": ["x"]}, 400, "body_keywords.fail", "not a known parameter"),
    ({"failure": "error"}, 400, "body_keywords.failure", ""),
    ({"failure": ["x"] * 21}, None, "body_keywords.failure", ""),
    ({"failure": [""]}, None, "body_keywords.failure.0", ""),
    ({"failure": ["x" * 201]}, None, "body_keywords.failure.0", ""),
])
async def test_it_names_the_param_of_bad_keywords(api, keywords, status, param, words):
    got, _, answer = await api.request("POST", "/api/heartbeats", json={"period_seconds": 60,
                                                                        "body_keywords": keywords})
    assert got in ((400, 422) if status is None else (status,)), answer
    assert answer["error"]["param"] == param, answer
    assert words in answer["error"]["message"], answer
    assert api.daemon.heartbeats.beats == {}


async def test_the_openapi_document_describes_them(api):
    status, _, document = await api.request("GET", "/api/openapi.json", token=None)
    assert status == 200
    schemas = document["components"]["schemas"]
    keywords = schemas["BodyKeywordsInput"]["properties"]
    assert keywords["otherwise"]["enum"] == ["success", "failure", "ignore"]
    assert keywords["failure"]["maxItems"] == 20
    assert keywords["failure"]["items"] == {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"}
    assert "body_keywords" in schemas["HeartbeatCreate"]["properties"]
    assert "body_keywords" in schemas["Heartbeat"]["required"]
    assert "scheme" in schemas["Ping"]["properties"]
