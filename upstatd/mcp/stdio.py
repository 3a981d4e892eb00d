"""`upstatd mcp`: an MCP server on stdin/stdout for clients that launch one (Claude
Desktop, editors), forwarding every request to a running daemon's /mcp.

The daemon owns the state (its in-memory monitors and incidents are updated after
each commit), so this process never opens the database: it is an MCP client of
/mcp (the SDK's own) and an MCP server on stdio, passing tools/list and
tools/call through. The tools, their permissions and the mcp.tool_called event
are the daemon's, one implementation.

The token comes from --token-file (a file only its owner may read: refused
otherwise, as ssh refuses a private key others can read) or else the environment
variable UPSTATD_TOKEN. The daemon is asked once at start: a refused token, or no
daemon, ends the process with the reason on stderr before any stdio message.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import upstatd
from upstatd.mcp import INSTRUCTIONS
from upstatd.token_file import TokenFileError, read_token_file

# The SDK (about a second of imports) is imported once the token is read: a refusal is at once.

ENV_TOKEN = "UPSTATD_TOKEN"
TIMEOUT = 30.0  # s: for one request to the daemon


class Refused(Exception):
    """Why `upstatd mcp` cannot serve (said on stderr, exit status 1)."""


def read_token(token_file: str | None, environ: dict[str, str]) -> str:
    if token_file is not None:
        try:
            return read_token_file(token_file, f"--token-file {token_file}")
        except TokenFileError as exc:
            raise Refused(str(exc)) from None
    token = environ.get(ENV_TOKEN, "").strip()
    if not token:
        raise Refused(f"no API token: give --token-file FILE or set {ENV_TOKEN} (make one with "
                      f"`upstatd token create --name agent --permissions monitors:read,incidents:read`)")
    return token


def endpoint(url: str) -> str:
    """The daemon's base URL (http://127.0.0.1:8080) or its /mcp URL -> the /mcp URL."""
    url = url.rstrip("/")
    return url if url.endswith("/mcp") else f"{url}/mcp"


async def serve(url: str, token: str) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    refusal: list[str] = []  # the daemon's last refusal of the token, in its own words

    async def remember_refusal(response: Any) -> None:
        # the SDK turns a 401 into "Server returned an error response": keep what the daemon said
        if response.status_code in (401, 403, 429):
            await response.aread()
            try:
                refusal[:] = [response.json()["error"]["message"]]
            except (ValueError, KeyError, TypeError):
                refusal[:] = [f"HTTP {response.status_code}"]

    headers = {"Authorization": f"Bearer {token}"}
    # httpx's default 5 s would cut off a write that waits out a busy database (4 s, then 503)
    async with httpx2.AsyncClient(headers=headers, timeout=TIMEOUT,
                                  event_hooks={"response": [remember_refusal]}) as http:
        try:
            upstream = await Client(streamable_http_client(url, http_client=http)).__aenter__()
        except Exception as exc:
            if refusal:
                raise Refused(f"the daemon at {url} refused the token: {refusal[0]}") from None
            raise Refused(f"cannot reach the daemon's MCP server at {url}: {describe(exc)}") from None
        try:
            await _serve_stdio(upstream, refusal)
        finally:
            await upstream.__aexit__(None, None, None)


async def _serve_stdio(upstream: Any, refusal: list[str]) -> None:
    import mcp_types as types
    from mcp.server.lowlevel.server import Server
    from mcp.server.stdio import stdio_server
    from mcp.shared.exceptions import MCPError

    async def forward(request: Any) -> Any:
        """The daemon's answer; a refusal of the token since start (revoked, expired, rate
        limited) in the daemon's words rather than the SDK's "Server returned an error response"."""
        refusal.clear()
        try:
            return await request
        except MCPError as exc:
            if refusal:
                raise MCPError(exc.code, f"the daemon refused the token: {refusal[0]}") from None
            raise

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return await forward(upstream.list_tools(cursor=params.cursor if params is not None else None))

    async def call_tool(ctx: Any, params: Any) -> types.CallToolResult:
        return await forward(upstream.call_tool(params.name, params.arguments or {}))

    server = Server("upstatd", version=upstatd.__version__, instructions=INSTRUCTIONS,
                    on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def describe(exc: BaseException) -> str:
    """The innermost reason of a (grouped) failure: 'Connection refused', not 'unhandled errors in a TaskGroup'."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    from mcp.shared.exceptions import MCPError

    if isinstance(exc, MCPError):
        return exc.message
    return str(exc) or type(exc).__name__


def main(url: str, token_file: str | None) -> int:
    import anyio

    try:
        token = read_token(token_file, dict(os.environ))
        anyio.run(serve, endpoint(url), token)
    except Refused as exc:
        print(f"upstatd mcp: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
