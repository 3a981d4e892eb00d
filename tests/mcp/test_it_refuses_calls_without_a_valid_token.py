"""/mcp answers 401 in the API's envelope, before any MCP message is read, to a request with
no token, a token that is not valid and a revoked one; the SDK's client fails to connect.
`upstatd mcp` ends at start, the reason on stderr: no token, a refused token, a token file
that others may read."""

from __future__ import annotations

import asyncio
import os
import sys

import aiohttp
import pytest
from mcp import MCPError

from mcpkit import over_http

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "curl", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream"}


async def post(api, authorization: str | None) -> tuple[int, dict, dict]:
    headers = dict(HEADERS, **({"Authorization": authorization} if authorization else {}))
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.url}/mcp", json=INITIALIZE, headers=headers) as response:
            return response.status, dict(response.headers), await response.json()


async def test_it_answers_401_without_a_valid_token(api):
    secret = await api.make_token("incidents:read", name="gone")
    _, _, tokens = await api.request("GET", "/api/tokens?limit=100")
    gone = next(token["id"] for token in tokens["data"] if token["name"] == "gone")
    assert (await api.request("POST", f"/api/tokens/{gone}/revoke", json={}))[0] == 200

    for authorization, message in ((None, "no API token: send the header Authorization: Bearer <token>"),
                                   ("Bearer nope", "this API token is not valid"),
                                   (f"Bearer {secret}", "this API token was revoked"),
                                   ("Basic abc", "the Authorization header must be 'Bearer <token>'")):
        status, headers, body = await post(api, authorization)
        assert status == 401, authorization
        assert body["error"]["type"] == "authentication_error"
        assert body["error"]["message"] == message
        assert headers["WWW-Authenticate"] == 'Bearer realm="upstatd"'


async def test_a_valid_token_gets_the_mcp_answer(api):
    status, headers, body = await post(api, f"Bearer {api.admin_token}")
    assert status == 200
    assert body["result"]["serverInfo"]["name"] == "upstatd"
    assert headers["Request-Id"].startswith("req_")


async def test_the_sdk_client_cannot_connect_without_a_valid_token(api):
    with pytest.raises(BaseExceptionGroup) as refused:  # the SDK's task groups wrap it
        async with over_http(api, "not-a-token") as client:
            await client.list_tools()
    assert refused.group_contains(MCPError, match="Server returned an error response", depth=2)


async def run_stdio(api, *args: str, token: str | None = None) -> tuple[int, str]:
    env = {key: value for key, value in os.environ.items() if key != "UPSTATD_TOKEN"}
    if token is not None:
        env["UPSTATD_TOKEN"] = token
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "upstatd", "mcp", "--url", api.url, *args, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(b""), 60)
    assert stdout == b""  # not a byte of MCP on stdout
    return process.returncode, stderr.decode()


async def test_stdio_refuses_to_start_without_a_token(api):
    code, stderr = await run_stdio(api)
    assert code == 1
    assert "upstatd mcp: no API token: give --token-file FILE or set UPSTATD_TOKEN" in stderr


async def test_stdio_says_the_daemon_refused_the_token(api):
    code, stderr = await run_stdio(api, token="not-a-token")
    assert code == 1
    assert f"upstatd mcp: the daemon at {api.url}/mcp refused the token: this API token is not valid" in stderr


async def test_stdio_refuses_a_token_file_others_may_read(api, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(api.admin_token + "\n")
    token_file.chmod(0o644)
    code, stderr = await run_stdio(api, "--token-file", str(token_file))
    assert code == 1
    assert f"group or others may read it (mode 0644); make it readable by its owner only: chmod 600 " \
           f"{token_file}" in stderr


async def test_stdio_reads_a_private_token_file(api, tmp_path):
    from mcp import Client

    from mcpkit import stdio_parameters

    token_file = tmp_path / "token"
    token_file.write_text(await api.make_token("incidents:read", name="from-a-file") + "\n")
    token_file.chmod(0o600)
    async with Client(stdio_parameters(api, None, "--token-file", str(token_file))) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == {"list_incidents", "get_incident"}


async def test_stdio_says_when_no_daemon_answers(api):
    from loopback import closed_port

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "upstatd", "mcp", "--url", f"http://127.0.0.1:{closed_port()}",
        env=dict(os.environ, UPSTATD_TOKEN="whatever"), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(b""), 60)
    assert process.returncode == 1
    assert "upstatd mcp: cannot reach the daemon's MCP server at http://127.0.0.1:" in stderr.decode()

