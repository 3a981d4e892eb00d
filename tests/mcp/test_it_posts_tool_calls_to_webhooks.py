"""mcp.tool_called goes through the outbox like any event: a webhook endpoint subscribed to
`mcp.*` is posted each tool call (and only those), the token named, no argument values."""

from __future__ import annotations

import sys
from pathlib import Path

from mcpkit import over_http

sys.path.append(str(Path(__file__).parent.parent / "webhooks"))
from hookkit import Receiver  # noqa: E402


async def test_a_tool_call_reaches_a_webhook(api):
    receiver = await Receiver().start()
    try:
        status, _, made = await api.request("POST", "/api/webhook-endpoints", json={
            "url": receiver.url, "events": ["mcp.*"]})
        assert status == 201, made
        async with over_http(api, await api.make_token("monitors:read", name="audit-me")) as client:
            await client.call_tool("list_monitors", {"tag": "secret-tag"})
        await receiver.wait_for(1)
    finally:
        await receiver.close()
    (posted,) = [item.json for item in receiver.got]
    assert posted["type"] == "mcp.tool_called"
    assert posted["data"]["object"]["name"] == "audit-me"
    assert (posted["data"]["tool"], posted["data"]["arguments"]) == ("list_monitors", ["tag"])
    assert "secret-tag" not in str(posted)
