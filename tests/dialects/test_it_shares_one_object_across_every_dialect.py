"""A monitor made through any door (upstatd's /api, Better Stack's /api/v2, UptimeGuard's /v1)
is one object behind all of them, and so is an incident (/api, Better Stack's /api/v3,
UptimeIO's /uptimeio): one row, read back the same through every other door, and a move
made through one (a pause, an acknowledgement) seen through the rest."""

from __future__ import annotations

import pytest
from uptimeiokit import BASE as UPTIMEIO, io

URL = "http://127.0.0.1:9/shop"  # a closed loopback port: nothing answers, nothing is probed in time

MADE = {
    "api": ("/api/monitors", {"type": "http", "name": "Shop", "url": URL, "interval_seconds": 120}),
    "betterstack": ("/api/v2/monitors", {"monitor_type": "status", "pronounceable_name": "Shop", "url": URL,
                                         "check_frequency": 120}),
    "uptimeguard": ("/v1/monitors", {"name": "Shop", "url": URL, "type": "http", "interval_seconds": 120}),
}


def made_id(door: str, body: dict) -> str:
    return body["data"]["id"] if door == "betterstack" else body["id"]


async def seen_through_every_door(api, monitor_id: str) -> dict[str, tuple]:
    """-> door -> (id, name, url, interval, paused), as each door words them."""
    _, _, ours = await api.request("GET", f"/api/monitors/{monitor_id}")
    _, _, theirs = await api.request("GET", f"/api/v2/monitors/{monitor_id}")
    _, _, guard = await api.request("GET", f"/v1/monitors/{monitor_id}")
    attributes = theirs["data"]["attributes"]
    return {
        "api": (ours["id"], ours["name"], ours["url"], ours["interval_seconds"], ours["status"] == "paused"),
        "betterstack": (theirs["data"]["id"], attributes["pronounceable_name"], attributes["url"],
                        attributes["check_frequency"], attributes["paused"]),
        "uptimeguard": (guard["id"], guard["name"], guard["url"], guard["interval_seconds"],
                        guard["status"] == "paused"),
    }


@pytest.mark.parametrize("door", sorted(MADE))
async def test_a_monitor_is_one_object_whichever_door_made_it(api, door):
    path, body = MADE[door]
    status, _, made = await api.request("POST", path, json=body)
    assert status == 201, made
    monitor_id = made_id(door, made)
    assert monitor_id.startswith("mon_")

    seen = await seen_through_every_door(api, monitor_id)
    assert set(seen.values()) == {(monitor_id, "Shop", URL, 120, False)}, seen
    for listing, ids in (("/api/monitors", lambda b: [m["id"] for m in b["data"]]),
                         ("/api/v2/monitors", lambda b: [m["id"] for m in b["data"]]),
                         ("/v1/monitors", lambda b: [m["id"] for m in b["monitors"]])):
        _, _, listed = await api.request("GET", listing)
        assert ids(listed) == [monitor_id], listing

    # paused through the next door, seen paused through all three
    method, target, pause_body = {
        "api": ("PATCH", f"/api/v2/monitors/{monitor_id}", {"paused": True}),
        "betterstack": ("POST", f"/v1/monitors/{monitor_id}/pause", {}),
        "uptimeguard": ("POST", f"/api/monitors/{monitor_id}/pause", None)}[door]
    status, _, answer = await api.request(method, target, json=pause_body)
    assert status == 200, answer
    seen = await seen_through_every_door(api, monitor_id)
    assert set(seen.values()) == {(monitor_id, "Shop", URL, 120, True)}, seen


INCIDENT_MADE = {
    "api": ("/api/incidents", {"title": "Checkout fails"}),
    "betterstack": ("/api/v3/incidents", {"summary": "Checkout fails", "requester_email": "ops@example.com"}),
    "uptimeio": (UPTIMEIO, {"title": "Checkout fails", "severity": "major", "type": "status_code"}),
}


async def incident_through_every_door(api, incident_id: str) -> dict[str, tuple]:
    """-> door -> (id, title, acknowledged), as each door words them."""
    _, _, ours = await api.request("GET", f"/api/incidents/{incident_id}")
    _, _, theirs = await api.request("GET", f"/api/v3/incidents/{incident_id}")
    _, _, io_answer = await io(api, "GET", f"{UPTIMEIO}/{incident_id}")
    attributes, uptimeio = theirs["data"]["attributes"], io_answer["data"]
    return {
        "api": (ours["id"], ours["title"], ours["status"] == "acknowledged"),
        "betterstack": (theirs["data"]["id"], attributes["name"], attributes["status"] == "Acknowledged"),
        "uptimeio": (uptimeio["id"], uptimeio["title"], uptimeio["status"] == "acknowledged"),
    }


@pytest.mark.parametrize("door", sorted(INCIDENT_MADE))
async def test_an_incident_is_one_object_whichever_door_made_it(api, door):
    path, body = INCIDENT_MADE[door]
    if door == "uptimeio":
        status, _, made = await io(api, "POST", path, json=body)
    else:
        status, _, made = await api.request("POST", path, json=body)
    assert status == 201, made
    incident_id = made["id"] if door == "api" else made["data"]["id"]
    assert incident_id.startswith("inc_")
    seen = await incident_through_every_door(api, incident_id)
    assert set(seen.values()) == {(incident_id, "Checkout fails", False)}, seen

    # acknowledged through the next door, seen acknowledged through all three
    if door == "api":
        status, _, answer = await api.request("POST", f"/api/v3/incidents/{incident_id}/acknowledge", json={})
    elif door == "betterstack":
        status, _, answer = await io(api, "PUT", f"{UPTIMEIO}/{incident_id}/status",
                                     json={"status": "acknowledged"})
    else:
        status, _, answer = await api.request("POST", f"/api/incidents/{incident_id}/acknowledge", json={})
    assert status == 200, answer
    seen = await incident_through_every_door(api, incident_id)
    assert set(seen.values()) == {(incident_id, "Checkout fails", True)}, seen
