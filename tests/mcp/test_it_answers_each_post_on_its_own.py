"""/mcp is stateless: each POST is one JSON-RPC message answered with one JSON body, so a
client needs no session (tools/list with no initialize first, as curl would send it), an
older client's initialize handshake works as well as the SDK's default negotiation, and a
GET (the optional event stream) or DELETE is a 405 at once rather than a stream held open."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

HEADERS = {"Accept": "application/json, text/event-stream"}


async def test_a_lone_post_gets_its_answer(api):
    headers = dict(HEADERS, Authorization=f"Bearer {await api.make_token('monitors:read', name='curl')}")
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.url}/mcp", headers=headers,
                                json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"}) as response:
            assert response.status == 200
            assert response.content_type == "application/json"
            body = await response.json()
    assert body["id"] == 7
    assert [tool["name"] for tool in body["result"]["tools"]] == ["list_monitors", "get_monitor",
                                                                  "monitor_availability"]


async def test_get_and_delete_are_refused_at_once(api):
    headers = dict(HEADERS, Authorization=f"Bearer {api.admin_token}")
    async with aiohttp.ClientSession() as session:
        for method in ("GET", "DELETE"):
            async with asyncio.timeout(5):
                async with session.request(method, f"{api.url}/mcp", headers=headers) as response:
                    assert response.status == 405, method
                    assert response.headers["Allow"] == "POST"
                    assert "POST each JSON-RPC message" in (await response.json())["error"]["message"]


async def test_the_initialize_handshake_works_too(api):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {api.admin_token}"}) as http:
        async with Client(streamable_http_client(f"{api.url}/mcp", http_client=http), mode="legacy") as client:
            assert client.server_info.name == "upstatd"
            assert "upstatd monitors websites" in client.instructions
            result = await client.call_tool("list_incidents", {})
    assert result.structured_content == {"object": "list", "data": [], "has_more": False, "url": "/api/incidents"}
