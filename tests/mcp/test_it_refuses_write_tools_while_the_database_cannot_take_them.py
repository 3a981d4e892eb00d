"""While the writer cannot commit (another connection holds SQLite's write lock, as a full
disk would), a write tool is a tool error `storage_unavailable` within the API's patience,
never applied later, and read tools go on answering (their mcp.tool_called events are lost
then, logged: nothing can be written)."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from mcpkit import over_http


async def test_write_tools_are_refused_and_reads_answer(api):
    blocker = sqlite3.connect(api.db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the write lock, held
    try:
        async with over_http(api, api.admin_token) as client:
            started = time.monotonic()
            refused = await client.call_tool("create_monitor", {"type": "tcp", "url": "tcp://127.0.0.1:9"})
            assert time.monotonic() - started < 6.0
            assert refused.is_error
            assert refused.structured_content["error"]["code"] == "storage_unavailable"

            deadline = time.monotonic() + 15
            while not api.daemon.writer.failing:
                assert time.monotonic() < deadline, "the writer never noticed"
                await asyncio.sleep(0.05)
            started = time.monotonic()
            listed = await client.call_tool("list_monitors", {})
            assert time.monotonic() - started < 1.0
            assert (listed.is_error, listed.structured_content["data"]) == (False, [])
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    await asyncio.sleep(0.5)  # a refused write is never applied later
    _, _, monitors = await api.request("GET", "/api/monitors")
    assert monitors["data"] == []
