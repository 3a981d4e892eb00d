"""The SDK's own client against a test daemon: over HTTP (`over_http(api, token)`) and over
stdio (`over_stdio(api, token)`: spawns `python -m upstatd mcp --url ...`)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

WRITE_TOOLS = {"create_monitor", "pause_monitor", "resume_monitor", "create_incident", "acknowledge_incident",
               "escalate_incident", "comment_on_incident", "resolve_incident"}


@asynccontextmanager
async def over_http(api: Any, token: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:  # httpx's 5 s is less than a slow write
        async with Client(streamable_http_client(f"{api.url}/mcp", http_client=http)) as client:
            yield client


def stdio_parameters(api: Any, token: str | None, *args: str) -> StdioServerParameters:
    env = {key: value for key, value in os.environ.items() if key != "UPSTATD_TOKEN"}
    if token is not None:
        env["UPSTATD_TOKEN"] = token
    return StdioServerParameters(command=sys.executable, args=["-m", "upstatd", "mcp", "--url", api.url, *args],
                                 env=env)


@asynccontextmanager
async def over_stdio(api: Any, token: str | None) -> AsyncIterator[Client]:
    async with Client(stdio_parameters(api, token)) as client:
        yield client
