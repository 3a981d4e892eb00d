"""DELETE /api/v3/incidents/{id} (Better Stack's "Remove incident", a 204) is refused: upstatd
keeps every incident for its history, as /api and the UptimeIO dialect do. An unknown one is
a 404; a known one a 409 saying what to do instead, in Better Stack's envelope, and the
incident is still there."""

from __future__ import annotations


async def test_deleting_an_incident_is_refused_and_it_stays(api):
    _, _, made = await api.request("POST", "/api/v3/incidents", json={"summary": "Checkout fails"})
    incident_id = made["data"]["id"]

    status, _, answer = await api.request("DELETE", f"/api/v3/incidents/{incident_id}")
    assert status == 409, answer
    assert answer == {"errors": (
        f"upstatd keeps every incident for its history; {incident_id} cannot be deleted. Resolve it "
        f"(POST /api/v3/incidents/{incident_id}/resolve), then close it (POST /api/incidents/{incident_id}/close)")}
    status, _, read = await api.request("GET", f"/api/v3/incidents/{incident_id}")
    assert status == 200 and read["data"]["id"] == incident_id, read

    status, _, answer = await api.request("DELETE", "/api/v3/incidents/inc_missing")
    assert status == 404 and isinstance(answer["errors"], str), answer
    reader = await api.make_token("incidents:read,incidents:update")
    status, _, answer = await api.request("DELETE", f"/api/v3/incidents/{incident_id}", token=reader)
    assert status == 403 and "incidents:delete" in answer["errors"], answer
