"""acknowledge_incident changes the incident as POST /api/incidents/{id}/acknowledge does
(read back over the API, its incident.acknowledged event too), and the call is recorded as
mcp.tool_called naming the token and the tool: over HTTP and over stdio."""

from __future__ import annotations

import pytest

from mcpkit import over_http, over_stdio

TRANSPORTS = {"http": over_http, "stdio": over_stdio}


async def open_incident(api) -> str:
    status, _, made = await api.request("POST", "/api/incidents", json={"title": "checkout is slow"})
    assert status == 201, made
    return made["id"]


async def events(api, kind: str) -> list[dict]:
    status, _, body = await api.request("GET", f"/api/events?type={kind}&limit=100")
    assert status == 200, body
    return body["data"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_it_acknowledges_and_records_the_call(api, transport):
    incident_id = await open_incident(api)
    secret = await api.make_token("incidents:*", name="triage-agent")
    _, _, tokens = await api.request("GET", "/api/tokens?limit=100")
    token_id = next(token["id"] for token in tokens["data"] if token["name"] == "triage-agent")

    async with TRANSPORTS[transport](api, secret) as client:
        result = await client.call_tool("acknowledge_incident",
                                        {"incident_id": incident_id, "message": "looking at the database"})

    assert result.is_error is False
    _, _, now = await api.request("GET", f"/api/incidents/{incident_id}")
    assert (now["status"], now["acknowledged_by"]) == ("acknowledged", "triage-agent")
    assert result.structured_content == {key: value for key, value in now.items() if key != "runbooks"}
    assert [event["data"]["object"]["id"] for event in await events(api, "incident.acknowledged")] == [incident_id]
    _, _, timeline = await api.request("GET", f"/api/incidents/{incident_id}/updates")
    assert "looking at the database" in [entry["message"] for entry in timeline["data"]]

    (called,) = await events(api, "mcp.tool_called")
    assert called["data"]["object"] == {"id": token_id, "object": "token", "name": "triage-agent"}
    assert (called["data"]["tool"], called["data"]["ok"], called["data"]["error"]) == \
        ("acknowledge_incident", True, None)
    assert called["data"]["arguments"] == ["incident_id", "message"]  # names only, never the values
    assert "looking at the database" not in str(called)


async def test_a_refused_move_is_a_tool_error_in_the_apis_words(api):
    incident_id = await open_incident(api)
    await api.request("POST", f"/api/incidents/{incident_id}/resolve", json={})
    _, _, refused = await api.request("POST", f"/api/incidents/{incident_id}/acknowledge", json={})

    async with over_http(api, await api.make_token("incidents:*", name="triage-agent")) as client:
        result = await client.call_tool("acknowledge_incident", {"incident_id": incident_id})

    assert result.is_error is True
    assert result.structured_content["error"]["message"] == refused["error"]["message"]
    assert result.structured_content["error"]["code"] == refused["error"]["code"]
    assert refused["error"]["message"] in result.content[0].text
    (called, *_) = await events(api, "mcp.tool_called")
    assert (called["data"]["ok"], called["data"]["error"]) == (False, refused["error"]["code"])
