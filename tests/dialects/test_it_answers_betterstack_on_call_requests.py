"""Better Stack's on-call calendars (/api/v2/on-calls): upstatd's on-call schedules with
who is on call now, `default` the oldest one, its events the schedule's shifts, and an
override event made through upstatd's override command (the same one /api/on-call shows)."""

from __future__ import annotations

from upstatd.clock import FakeClock

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z


async def _person(api, name: str, email: str) -> str:
    status, _, person = await api.request("POST", "/api/people", json={"name": name, "email": email})
    assert status == 201, person
    return person["id"]


async def test_calendars_are_listed_with_who_is_on_call_and_their_events(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    status, _, answer = await api.request("GET", "/api/v2/on-calls/default")
    assert status == 404 and isinstance(answer["errors"], str), answer  # no schedule yet

    ana = await _person(api, "Ana Lima", "ana@example.com")
    bob = await _person(api, "Bob", "bob@example.com")
    status, _, made = await api.request("POST", "/api/on-call", json={"name": "Primary", "layers": [
        {"users": [ana, bob], "starts_at": "2027-01-01T00:00", "length": "daily"}]})
    assert status == 201, made
    _, _, other = await api.request("POST", "/api/on-call", json={"name": "Secondary"})

    status, _, listed = await api.request("GET", "/api/v2/on-calls")
    assert status == 200, listed
    first, second = listed["data"]
    assert first == {"id": made["id"], "type": "on_call_calendar",
                     "attributes": {"name": "Primary", "default_calendar": True, "team_name": None},
                     "relationships": {"on_call_users": {"data": [
                         {"id": ana, "type": "user", "meta": {"email": "ana@example.com"}}]}}}
    assert (second["id"], second["attributes"]["default_calendar"]) == (other["id"], False)
    assert second["relationships"] == {"on_call_users": {"data": []}}  # nobody: no layers
    assert listed["included"] == [{"id": ana, "type": "on_call_user", "attributes": {
        "first_name": "Ana", "last_name": "Lima", "email": "ana@example.com", "phone_numbers": []}}]
    assert listed["pagination"] == {"first": f"{api.url}/api/v2/on-calls?page=1&per_page=50",
                                    "last": f"{api.url}/api/v2/on-calls?page=1&per_page=50",
                                    "prev": None, "next": None}

    status, _, default = await api.request("GET", "/api/v2/on-calls/default")
    assert status == 200 and default["data"] == first and default["included"] == listed["included"], default
    status, _, read = await api.request("GET", f"/api/v2/on-calls/{other['id']}")
    assert status == 200 and read["data"] == second and read["included"] == [], read

    status, _, events = await api.request("GET", "/api/v2/on-calls/default/events")
    assert status == 200, events
    assert len(events["events"]) == 98  # a daily rotation: 7 days before today to 91 after
    assert events["events"][0] == {"id": f"{made['id']}-{bob}-1799366400@upstatd", "users": ["bob@example.com"],
                                   "starts_at": "2027-01-08T00:00:00Z", "ends_at": "2027-01-09T00:00:00Z",
                                   "override": False}
    assert events["events"][7]["users"] == ["ana@example.com"]  # today: Ana, as `current` says


async def test_an_override_event_is_upstatds_override_and_a_regular_one_is_refused(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    ana = await _person(api, "Ana Lima", "ana@example.com")
    bob = await _person(api, "Bob", "bob@example.com")
    _, _, made = await api.request("POST", "/api/on-call", json={"name": "Primary", "layers": [
        {"users": [ana, bob], "starts_at": "2027-01-01T00:00", "length": "daily"}]})

    # the reference's "Override event" example, a day later
    status, _, override = await api.request("POST", "/api/v2/on-calls/default/events", json={
        "starts_at": "2027-01-16T09:00:00Z", "ends_at": "2027-01-16T17:00:00", "users": ["ana@example.com"],
        "override": True})
    assert status == 200, override
    assert override["id"].startswith("ovr_")
    assert {name: value for name, value in override.items() if name != "id"} == {
        "users": ["ana@example.com"], "starts_at": "2027-01-16T09:00:00Z", "ends_at": "2027-01-16T17:00:00Z",
        "override": True}
    _, _, ours = await api.request("GET", f"/api/on-call/{made['id']}/overrides")
    assert [(item["id"], item["user_id"], item["starts_at"], item["ends_at"]) for item in ours["data"]] == [
        (override["id"], ana, 1_800_090_000, 1_800_118_800)]
    _, _, events = await api.request("GET", f"/api/v2/on-calls/{made['id']}/events")
    assert [(item["id"], item["users"], item["starts_at"], item["override"]) for item in events["events"][8:11]] == [
        (f"{made['id']}-{bob}-1800057600@upstatd", ["bob@example.com"], "2027-01-16T00:00:00Z", False),
        (override["id"], ["ana@example.com"], "2027-01-16T09:00:00Z", True),
        (f"{made['id']}-{bob}-1800118800@upstatd", ["bob@example.com"], "2027-01-16T17:00:00Z", False)]

    # the reference's "Regular on-call event" example: upstatd's regular shifts are its layers'
    status, _, answer = await api.request("POST", "/api/v2/on-calls/default/events", json={
        "starts_at": "2027-01-16T09:00:00Z", "ends_at": "2027-01-16T17:00:00", "users": ["ana@example.com"]})
    assert status == 422 and list(answer["errors"]) == ["override"], answer
    for body, field in (({"users": ["nobody@example.com"]}, "users"), ({"users": []}, "users"),
                        ({"starts_at": "2027-01-14T09:00:00Z"}, "starts_at"), ({"ends_at": "soon"}, "ends_at"),
                        ({"ends_at": "2027-01-16T08:00:00Z"}, "ends_at"), ({"phone": "+1"}, "phone")):
        sent = {"starts_at": "2027-01-16T09:00:00Z", "ends_at": "2027-01-16T17:00:00Z",
                "users": ["ana@example.com"], "override": True, **body}
        status, _, answer = await api.request("POST", "/api/v2/on-calls/default/events", json=sent)
        assert status == 422 and list(answer["errors"]) == [field], (body, answer)
    status, _, answer = await api.request("GET", "/api/v2/on-calls/sch_missing/events")
    assert status == 404 and isinstance(answer["errors"], str), answer
    reader = await api.make_token("on_call:read")
    status, _, answer = await api.request("POST", "/api/v2/on-calls/default/events", token=reader, json={})
    assert status == 403 and "on_call:update" in answer["errors"], answer
