"""Better Stack's incident comments (documented under /api/v2/incidents/{id}/comments, also
under /api/v3): made, listed (every one, oldest first, no pagination) and read in its shape,
over upstatd's incident timeline; changing or deleting one is refused, upstatd's timeline
being append-only; unknown incidents and comments are 404s, all in Better Stack's envelope."""

from __future__ import annotations

import re

import pytest

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize("version", ["v2", "v3"])
async def test_comments_are_made_listed_and_read_as_better_stack_shows_them(api, version):
    _, _, made = await api.request("POST", "/api/v3/incidents", json={"summary": "Checkout fails"})
    incident_id = made["data"]["id"]
    base = f"/api/{version}/incidents/{incident_id}/comments"

    status, _, first = await api.request("POST", base, json={"content": "Posted from API"})
    assert status == 201, first
    comment_id = first["data"]["id"]
    assert first["data"]["type"] == "incident_comment" and comment_id.startswith("iup_")
    attributes = first["data"]["attributes"]
    assert set(attributes) == {"id", "content", "user_email", "created_at", "updated_at"}
    assert (attributes["id"], attributes["content"], attributes["user_email"]) == (comment_id, "Posted from API",
                                                                                 "admin")
    assert ISO.match(attributes["created_at"]) and attributes["updated_at"] == attributes["created_at"]
    _, _, second = await api.request("POST", f"/api/incidents/{incident_id}/updates",
                                     json={"message": "# Update\n\nrolled back", "author": "ana@example.com"})
    await api.request("POST", f"/api/incidents/{incident_id}/acknowledge", json={})  # not a comment

    status, _, listed = await api.request("GET", base)
    assert status == 200, listed
    assert listed == {"data": [first["data"], {"id": second["id"], "type": "incident_comment", "attributes": {
        "id": second["id"], "content": "# Update\n\nrolled back", "user_email": "ana@example.com",
        "created_at": attributes["created_at"], "updated_at": attributes["created_at"]}}]}  # the clock stands
    status, _, read = await api.request("GET", f"{base}/{comment_id}")
    assert status == 200 and read == first, read


async def test_changing_or_deleting_a_comment_is_refused_and_unknown_ones_are_404s(api):
    _, _, made = await api.request("POST", "/api/v3/incidents", json={"summary": "Checkout fails"})
    incident_id = made["data"]["id"]
    _, _, other = await api.request("POST", "/api/v3/incidents", json={"summary": "Search is slow"})
    base = f"/api/v2/incidents/{incident_id}/comments"
    _, _, comment = await api.request("POST", base, json={"content": "Posted from API"})
    comment_id = comment["data"]["id"]

    status, _, answer = await api.request("PATCH", f"{base}/{comment_id}", json={"content": "Updated"})
    assert status == 409, answer
    assert answer == {"errors": f"upstatd's incident timeline is append-only: comment {comment_id} cannot be "
                                "changed; post the correction as a new comment"}
    status, _, answer = await api.request("DELETE", f"/api/v3/incidents/{incident_id}/comments/{comment_id}")
    assert status == 409 and "cannot be deleted" in answer["errors"], answer
    _, _, listed = await api.request("GET", base)
    assert [item["attributes"]["content"] for item in listed["data"]] == ["Posted from API"]

    status, _, answer = await api.request("PATCH", f"{base}/{comment_id}", json={})
    assert (status, list(answer["errors"])) == (422, ["content"]), answer
    for path in (f"/api/v2/incidents/{other['data']['id']}/comments/{comment_id}",  # another incident's
                 f"{base}/iup_missing", f"{base}/nonsense", "/api/v2/incidents/inc_missing/comments"):
        status, _, answer = await api.request("GET", path)
        assert status == 404 and isinstance(answer["errors"], str), (path, answer)
    reader = await api.make_token("incidents:read")
    status, _, answer = await api.request("POST", base, token=reader, json={"content": "hello"})
    assert status == 403 and "incidents:update" in answer["errors"], answer
    status, _, _ = await api.request("GET", base, token=reader)
    assert status == 200
