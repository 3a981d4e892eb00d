"""A tool the token may not call is refused when called by name, as if it did not exist
(tools/list does not name it either): nothing changes, and the attempt is recorded."""

from __future__ import annotations

import pytest
from mcp import MCPError

from mcpkit import over_http, over_stdio

TRANSPORTS = {"http": over_http, "stdio": over_stdio}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_read_only_token_cannot_acknowledge(api, transport):
    _, _, made = await api.request("POST", "/api/incidents", json={"title": "disk full on db1"})
    reader = await api.make_token("incidents:read", name="read-only-agent")

    async with TRANSPORTS[transport](api, reader) as client:
        with pytest.raises(MCPError, match="unknown tool 'acknowledge_incident'"):
            await client.call_tool("acknowledge_incident", {"incident_id": made["id"]})
        with pytest.raises(MCPError, match="unknown tool 'list_monitors'"):  # another resource: not there
            await client.call_tool("list_monitors", {})
        listed = await client.call_tool("list_incidents", {})  # what it holds still works

    assert [incident["id"] for incident in listed.structured_content["data"]] == [made["id"]]
    _, _, now = await api.request("GET", f"/api/incidents/{made['id']}")
    assert (now["status"], now["acknowledged_at"]) == ("open", None)
    _, _, events = await api.request("GET", "/api/events?type=mcp.tool_called")
    assert [(event["data"]["tool"], event["data"]["ok"], event["data"]["error"]) for event in events["data"]] == [
        ("list_incidents", True, None), ("list_monitors", False, "unknown_tool"),
        ("acknowledge_incident", False, "unknown_tool")]
    _, _, acknowledged = await api.request("GET", "/api/events?type=incident.acknowledged")
    assert acknowledged["data"] == []


async def test_a_tool_that_does_not_exist_is_refused_alike(api):
    async with over_http(api, api.admin_token) as client:
        with pytest.raises(MCPError, match="unknown tool 'drop_database'"):
            await client.call_tool("drop_database", {})


async def test_the_event_keeps_a_bounded_part_of_the_names_a_client_sends(api):
    arguments = {f"arg{i:03d}" + "x" * 300: i for i in range(80)}
    async with over_http(api, api.admin_token) as client:
        with pytest.raises(MCPError, match="unknown tool"):
            await client.call_tool("t" * 5000, arguments)
    _, _, events = await api.request("GET", "/api/events?type=mcp.tool_called")
    (recorded,) = [event["data"] for event in events["data"]]
    assert recorded["tool"] == "t" * 100
    assert recorded["arguments"] == [f"arg{i:03d}" + "x" * 94 for i in range(50)]
