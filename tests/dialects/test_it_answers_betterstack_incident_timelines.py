"""GET /api/v3/incidents/{id}/timeline: Better Stack's `timeline_item`s over upstatd's
incident timeline, oldest first and unpaged: comments as `comment` items, every other
entry (opened, acknowledged, resolved, ...) as a `generic` one with its title; past 1000
entries, the newest 1000 after a `timeline_truncated` item."""

from __future__ import annotations

from upstatd.clock import FakeClock

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z


async def test_the_timeline_lists_every_entry_oldest_first(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/v3/incidents", json={
        "summary": "Checkout fails", "requester_email": "ops@example.com"})
    incident_id = made["data"]["id"]
    api.clock.advance(60)
    await api.request("POST", f"/api/v3/incidents/{incident_id}/acknowledge", json={"acknowledged_by": "ana"})
    api.clock.advance(60)
    _, _, comment = await api.request("POST", f"/api/v3/incidents/{incident_id}/comments",
                                      json={"content": "rolling back"})
    api.clock.advance(60)
    await api.request("POST", f"/api/v3/incidents/{incident_id}/resolve", json={"resolved_by": "ana"})
    _, _, ours = await api.request("GET", f"/api/incidents/{incident_id}/updates")
    ids = [entry["id"] for entry in reversed(ours["data"])]
    messages = [entry["message"] for entry in reversed(ours["data"])]

    status, _, timeline = await api.request("GET", f"/api/v3/incidents/{incident_id}/timeline")
    assert status == 200, timeline
    assert timeline == {"data": [
        {"id": ids[0], "type": "timeline_item", "attributes": {
            "item_type": "generic", "at": "2027-01-15T08:00:00.000Z", "data": {
                "title": "Incident started", "content": {"text": messages[0]}, "author": "ops@example.com",
                "kind": "created"}}},
        {"id": ids[1], "type": "timeline_item", "attributes": {
            "item_type": "generic", "at": "2027-01-15T08:01:00.000Z", "data": {
                "title": "Incident acknowledged", "content": {"text": messages[1]}, "author": "ana",
                "kind": "acknowledged"}}},
        {"id": comment["data"]["id"], "type": "timeline_item", "attributes": {
            "item_type": "comment", "at": "2027-01-15T08:02:00.000Z", "data": {
                "title": None, "content": {"text": "rolling back"}, "author": "admin", "kind": "comment"}}},
        {"id": ids[3], "type": "timeline_item", "attributes": {
            "item_type": "generic", "at": "2027-01-15T08:03:00.000Z", "data": {
                "title": "Incident resolved", "content": {"text": messages[3]}, "author": "ana",
                "kind": "resolved"}}}]}

    status, _, answer = await api.request("GET", "/api/v3/incidents/inc_missing/timeline")
    assert status == 404 and isinstance(answer["errors"], str), answer
    status, _, answer = await api.request("GET", f"/api/v3/incidents/{incident_id}/timeline?page=2")
    assert status == 422 and list(answer["errors"]) == ["page"], answer


async def test_a_long_timeline_shows_its_newest_entries_after_an_item_saying_how_many_it_skipped(start_api):
    from upstatd.store import incidents as store

    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/v3/incidents", json={"summary": "Flapping"})
    incident_id = made["data"]["id"]

    def write(conn):  # 1005 comments after the opening entry: 1006 in all
        for n in range(1005):
            conn.execute(*store.update_statement(incident_id, (NOW + n) * 1000, "comment", "open", f"n{n}", "bot"))
    await api.daemon.writer.run(write)

    status, _, timeline = await api.request("GET", f"/api/v3/incidents/{incident_id}/timeline")
    assert status == 200, timeline
    items = timeline["data"]
    assert len(items) == 1001
    assert items[0] == {"id": "truncated-2027-01-15T08:00:05.000Z", "type": "timeline_item", "attributes": {
        "item_type": "timeline_truncated", "at": "2027-01-15T08:00:05.000Z",
        "data": {"title": "Skipping 6 timeline events"}}}
    assert [item["attributes"]["data"]["content"]["text"] for item in items[1:3]] == ["n5", "n6"]
    assert items[-1]["attributes"]["data"]["content"]["text"] == "n1004"
    _, _, comments = await api.request("GET", f"/api/v2/incidents/{incident_id}/comments")
    assert len(comments["data"]) == 1000 and comments["data"][0]["attributes"]["content"] == "n5"
