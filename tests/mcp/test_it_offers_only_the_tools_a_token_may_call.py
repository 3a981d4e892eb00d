"""tools/list offers a tool only when the token holds its route's permission: a read-only
token sees the read tools of its resources and no write tool, over HTTP and over stdio."""

from __future__ import annotations

from mcpkit import WRITE_TOOLS, over_http, over_stdio

READ_ONLY = "monitors:read,heartbeats:read,incidents:read,on_call:read,status_pages:read"


async def test_a_read_only_token_lists_no_write_tool_over_http(api):
    async with over_http(api, await api.make_token(READ_ONLY, name="agent")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "list_monitors" in names and "get_incident" in names and "who_is_on_call" in names
    assert not names & WRITE_TOOLS


async def test_a_token_sees_only_its_resources(api):
    async with over_http(api, await api.make_token("incidents:read", name="agent")) as client:
        tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} == {"list_incidents", "get_incident"}
    assert all(tool.annotations.read_only_hint for tool in tools)


async def test_an_admin_token_lists_the_write_tools(api):
    async with over_http(api, api.admin_token) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert WRITE_TOOLS <= set(tools)
    acknowledge = tools["acknowledge_incident"]
    assert acknowledge.annotations.read_only_hint is False
    assert acknowledge.input_schema["required"] == ["incident_id"]
    assert "incidents:update" in acknowledge.description


async def test_a_read_only_token_lists_no_write_tool_over_stdio(api):
    async with over_stdio(api, await api.make_token(READ_ONLY, name="agent")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "list_monitors" in names
    assert not names & WRITE_TOOLS
