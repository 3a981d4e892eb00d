"""UptimeIO requests against the test daemon: `X-API-Key` instead of a bearer token,
under the dialect's base URL /uptimeio; and subjects that open no incident of their own."""

from __future__ import annotations

import asyncio
from typing import Any

BASE = "/uptimeio/api/incidents"
ADMIN = object()

# the fields of an incident as the dialect answers it, in the order it shows them
INCIDENT_FIELDS = {"id", "status", "severity", "type", "source", "title", "error_message", "affected_monitor_ids",
                   "started_at", "acknowledged_at", "acknowledged_by", "resolved_at", "closed_at", "duration_ms",
                   "metadata", "created_at", "updated_at", "caused_by", "caused_incidents", "held_until",
                   "regions"}
PAGINATION_FIELDS = {"total", "page", "pageSize", "totalPages", "hasNext", "hasPrevious"}


async def io(api: Any, method: str, path: str, *, key: Any = ADMIN, json: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    """-> (status, headers, parsed JSON). `key=None` sends no X-API-Key."""
    sent = dict(headers or {})
    if key is ADMIN:
        key = api.admin_token
    if key is not None:
        sent["X-API-Key"] = key
    async with api.session.request(method, api.url + path, json=json, headers=sent) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, response.headers, body


async def subjects(api: Any) -> tuple[str, str, asyncio.AbstractServer]:
    """A monitor of a TCP port that listens (it stays up) and a heartbeat with a long period:
    ids to name in affected_monitor_ids, neither opening an incident during the test."""
    server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    status, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "name": "Payments", "url": f"tcp://127.0.0.1:{port}", "interval_seconds": 3600})
    assert status == 201, monitor
    status, _, beat = await api.request("POST", "/api/heartbeats", json={"name": "Nightly", "period_seconds": 86400})
    assert status == 201, beat
    return monitor["id"], beat["id"], server


def assert_error(answer: Any, code: str, field: str | None = None) -> None:
    """UptimeIO's error envelope: {success: false, error: {code, message, details}}."""
    assert answer["success"] is False, answer
    assert set(answer) == {"success", "error"}, answer
    assert answer["error"]["code"] == code, answer
    assert answer["error"]["message"], answer
    assert isinstance(answer["error"]["details"], dict), answer
    if field is not None:
        assert answer["error"]["details"]["field"] == field, answer
