"""Better Stack's monitor availability summary, `GET /api/v2/monitors/{id}/sla?from=&to=`:
the documented attributes, the same figures as upstatd's own /api/monitors/{id}/sla over
the same days, and bad dates answered as Better Stack does (400, `errors` a message)."""

from __future__ import annotations

from upstatd.clock import FakeClock

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
DAY = 86400


async def test_the_summary_has_the_documented_shape_and_upstatds_figures(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/v2/monitors", json={
        "monitor_type": "status", "url": "http://127.0.0.1:9/", "paused": True})
    monitor_id = made["data"]["id"]
    api.clock.advance(3 * DAY)
    status, _, answer = await api.request("GET", f"/api/v2/monitors/{monitor_id}/sla?from=2027-01-15&to=2027-01-16")
    assert status == 200, answer
    assert answer["data"]["id"] == monitor_id and answer["data"]["type"] == "monitor_sla"
    attributes = answer["data"]["attributes"]
    assert set(attributes) == {"availability", "total_downtime", "number_of_incidents", "longest_incident",
                               "average_incident"}
    start = 1_799_971_200  # 2027-01-15T00:00:00Z
    _, _, ours = await api.request("GET", f"/api/monitors/{monitor_id}/sla?from={start}&to={start + 2 * DAY}")
    assert (attributes["availability"], attributes["total_downtime"], attributes["number_of_incidents"],
            attributes["longest_incident"], attributes["average_incident"]) == (
        ours["availability"], ours["downtime_duration"], ours["number_of_incidents"],
        ours["longest_incident_duration"], ours["average_incident_duration"])
    status, _, answer = await api.request("GET", f"/api/v2/monitors/{monitor_id}/sla")  # since it was made
    assert status == 200 and answer["data"]["type"] == "monitor_sla", answer


async def test_bad_dates_are_a_400_with_a_message(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/v2/monitors", json={
        "monitor_type": "status", "url": "http://127.0.0.1:9/", "paused": True})
    monitor_id = made["data"]["id"]
    for query in ("from=yesterday", "from=2027-02-01", "from=2027-01-15&to=2027-01-10", "from=2020-01-01&to=2027-01-10"):
        status, _, answer = await api.request("GET", f"/api/v2/monitors/{monitor_id}/sla?{query}")
        assert status == 400 and isinstance(answer["errors"], str), (query, answer)
    status, _, answer = await api.request("GET", "/api/v2/monitors/mon_missing/sla")
    assert status == 404 and isinstance(answer["errors"], str), answer
