"""Helpers for the incident link tests: open an incident over the API, make its
links with the daemon's own key, follow them as a browser would (no API token),
and read the incident and its timeline back."""

from __future__ import annotations

from typing import Any

from upstatd.alerts import links

NOW = 1_800_000_000  # the daemon's FakeClock wall time at start


async def open_incident(api, **fields) -> dict:
    body = {"title": "Checkout is slow", "severity": "major", "type": "slow_response",
            "error_message": "p95 over 2 s", **fields}
    status, _, made = await api.request("POST", "/api/incidents", json=body)
    assert status == 201, made
    return made


def link(api, incident_id: str, action: str, expires_at: int | None = None) -> str:
    """The path of a link made with the daemon's key (valid for links.TTL by default)."""
    expires = round(api.clock.time()) + links.TTL if expires_at is None else expires_at
    return "/incident-links/" + links.make(api.daemon.api.link_key, incident_id, action, expires)


async def follow(api, method: str, path: str, **kwargs: Any) -> tuple[int, Any, str]:
    """-> (status, headers, body text), with no Authorization header."""
    async with api.session.request(method, api.url + path, allow_redirects=False, **kwargs) as response:
        return response.status, response.headers, await response.text()


async def incident(api, incident_id: str) -> dict:
    status, _, body = await api.request("GET", f"/api/incidents/{incident_id}")
    assert status == 200, body
    return body


async def timeline(api, incident_id: str) -> list[tuple[str, str, str, str | None]]:
    """(kind, status, author, message), oldest first."""
    status, _, body = await api.request("GET", f"/api/incidents/{incident_id}/updates?limit=100")
    assert status == 200, body
    return [(item["kind"], item["status"], item["author"], item["message"]) for item in reversed(body["data"])]


async def event_types(api) -> list[str]:
    rows = await api.daemon.read_db.execute_fetchall(
        "SELECT type FROM events WHERE type LIKE 'incident.%' ORDER BY seq")
    return [row[0] for row in rows]
