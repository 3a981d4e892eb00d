"""GET /api/v3/incidents filters as Better Stack's reference lists them: `from` and `to`
(dates, UTC, both days counted in full, on when the incident started), `monitor_id`,
`heartbeat_id`, `resolved`, `acknowledged` and `metadata[key]=value`; the filters are kept
in the pagination links; a date that does not parse is a 422 naming it."""

from __future__ import annotations

from upstatd.clock import FakeClock

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
DAY = 86400


async def test_each_filter_narrows_the_list(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, monitor = await api.request("POST", "/api/v2/monitors", json={
        "monitor_type": "status", "url": "http://127.0.0.1:9/", "paused": True})
    _, _, heartbeat = await api.request("POST", "/api/v2/heartbeats", json={"name": "backup", "period": 3600})
    monitor_id, heartbeat_id = monitor["data"]["id"], heartbeat["data"]["id"]
    made = {}
    for name, affected, metadata in (("monday", [monitor_id], {"team": "shop"}),
                                     ("tuesday", [heartbeat_id], {"team": "search", "region": "eu"}),
                                     ("wednesday", [], {"team": "shop", "region": "eu"})):
        status, _, incident = await api.request("POST", "/api/incidents", json={
            "title": name, "affected_monitor_ids": affected, "metadata": metadata})
        assert status == 201, incident
        made[name] = incident["id"]
        api.clock.advance(DAY)  # 2027-01-15, -16, -17

    async def names(query: str) -> list[str]:
        status, _, listed = await api.request("GET", f"/api/v3/incidents?{query}")
        assert status == 200, listed
        return [item["attributes"]["name"] for item in listed["data"]]

    assert await names("") == ["wednesday", "tuesday", "monday"]
    assert await names("from=2027-01-16") == ["wednesday", "tuesday"]
    assert await names("to=2027-01-16") == ["tuesday", "monday"]
    assert await names("from=2027-01-16&to=2027-01-16") == ["tuesday"]
    assert await names(f"monitor_id={monitor_id}") == ["monday"]
    assert await names(f"heartbeat_id={heartbeat_id}") == ["tuesday"]
    assert await names("metadata[team]=shop") == ["wednesday", "monday"]
    assert await names("metadata[team]=shop&metadata[region]=eu") == ["wednesday"]
    assert await names("metadata[team]=ops") == []
    await api.request("POST", f"/api/incidents/{made['monday']}/acknowledge", json={})
    await api.request("POST", f"/api/incidents/{made['tuesday']}/resolve", json={})
    assert await names("acknowledged=true") == ["monday"]
    assert await names("resolved=true") == ["tuesday"]
    assert await names("resolved=false&acknowledged=false") == ["wednesday"]

    status, _, listed = await api.request("GET", "/api/v3/incidents?metadata[team]=shop&per_page=1")
    assert listed["pagination"]["next"] == f"{api.url}/api/v3/incidents?metadata%5Bteam%5D=shop&page=2&per_page=1"
    (item,) = listed["data"]
    assert item["attributes"]["metadata"] == {"team": [{"type": "String", "value": "shop"}],
                                              "region": [{"type": "String", "value": "eu"}]}


async def test_bad_filters_are_422s_naming_them(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    for query, name in (("from=yesterday", "from"), ("to=2027-13-01", "to"), ("metadata=shop", "metadata"),
                        ("metadata[team][x]=1", "metadata[team][x]"), ("resolved=maybe", "resolved"),
                        ("per_page=0", "per_page"), ("since=1", "since")):
        status, _, answer = await api.request("GET", f"/api/v3/incidents?{query}")
        assert status == 422 and list(answer["errors"]) == [name], (query, answer)
