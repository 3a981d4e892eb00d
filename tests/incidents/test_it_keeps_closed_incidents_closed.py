"""A closed incident is terminal: changes and comments answer 409 naming its
status; a comment moves updated_at (so `since` polling sees it); PUT is the
same partial update as PATCH. Both the manual path and a system incident the
probe path tracks."""

from __future__ import annotations

import pytest

from upstatd.clock import FakeClock

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def closed_incident(api) -> str:
    status, _, made = await api.request("POST", "/api/incidents", json={"title": "Disk full", "severity": "minor"})
    assert status == 201, made
    for action in ("resolve", "close"):
        status, _, moved = await api.request("POST", f"/api/incidents/{made['id']}/{action}")
        assert status == 200, moved
    return made["id"]


@pytest.mark.parametrize("method, path, body", [
    ("PATCH", "", {"title": "Disk very full"}),
    ("PUT", "", {"severity": "critical"}),
    ("POST", "/updates", {"message": "one more thing"}),
    ("POST", "/reopen", {}),
])
async def test_a_closed_incident_refuses_changes_and_comments(api, method, path, body):
    incident_id = await closed_incident(api)
    _, _, before = await api.request("GET", f"/api/incidents/{incident_id}")
    api.clock.advance(60)
    status, _, answer = await api.request(method, f"/api/incidents/{incident_id}{path}", json=body)
    assert status == 409, answer
    assert answer["error"]["param"] == "status" or path == "/reopen"
    assert "closed" in answer["error"]["message"]
    _, _, after = await api.request("GET", f"/api/incidents/{incident_id}")
    assert after == before
    _, _, updates = await api.request("GET", f"/api/incidents/{incident_id}/updates")
    assert [item["kind"] for item in updates["data"]] == ["closed", "resolved", "created"]


async def test_a_comment_moves_updated_at_so_since_sees_it(api):
    status, _, made = await api.request("POST", "/api/incidents", json={"title": "Slow", "severity": "minor"})
    assert status == 201
    api.clock.advance(100)
    _, _, listed = await api.request("GET", f"/api/incidents?since={NOW + 50}")
    assert listed["data"] == []
    status, _, update = await api.request("POST", f"/api/incidents/{made['id']}/updates", json={"message": "looking"})
    assert status == 201 and update["created_at"] == NOW + 100
    _, _, listed = await api.request("GET", f"/api/incidents?since={NOW + 50}")
    assert [(item["id"], item["updated_at"]) for item in listed["data"]] == [(made["id"], NOW + 100)]


async def test_put_is_a_partial_update_like_patch(api):
    status, _, made = await api.request("POST", "/api/incidents", json={
        "title": "Slow", "severity": "minor", "metadata": {"team": "web"}})
    assert status == 201
    status, _, put = await api.request("PUT", f"/api/incidents/{made['id']}", json={"severity": "major"})
    assert status == 200 and (put["severity"], put["title"], put["metadata"]) == ("major", "Slow", {"team": "web"})
    api.clock.advance(10)
    status, _, same = await api.request("PUT", f"/api/incidents/{made['id']}", json={"severity": "major"})
    assert status == 200 and same["updated_at"] == put["updated_at"]  # nothing changed, nothing written
