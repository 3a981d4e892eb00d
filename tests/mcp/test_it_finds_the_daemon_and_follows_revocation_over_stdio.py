"""`upstatd mcp` without --url finds the daemon from the config file's server.listen, and a
token revoked while it runs is refused at the next call in the daemon's words."""

from __future__ import annotations

import os
import sys

import pytest
from mcp import Client, MCPError, StdioServerParameters


async def test_it_reads_the_address_from_the_config_and_follows_a_revocation(api):
    secret = await api.make_token("incidents:read", name="stdio-agent")
    _, _, tokens = await api.request("GET", "/api/tokens?limit=100")
    token_id = next(token["id"] for token in tokens["data"] if token["name"] == "stdio-agent")
    env = dict(os.environ, UPSTATD_TOKEN=secret)
    parameters = StdioServerParameters(command=sys.executable, env=env,
                                       args=["-m", "upstatd", "mcp", "-c", str(api.config_path)])
    async with Client(parameters) as client:
        listed = await client.call_tool("list_incidents", {})
        assert listed.structured_content["object"] == "list"
        assert (await api.request("POST", f"/api/tokens/{token_id}/revoke", json={}))[0] == 200
        with pytest.raises(MCPError, match="the daemon refused the token: this API token was revoked"):
            await client.call_tool("list_incidents", {})
