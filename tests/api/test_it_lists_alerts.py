"""GET /api/alerts, newest first and paged, with its filters (incident_id,
channel_id, status, created_gte/lte), GET /api/alerts/{id} and
GET /api/incidents/{id}/alerts; unknown ids are 404, a bad filter names its
param. Time moves on the daemon's FakeClock."""

from __future__ import annotations

from alertkit import Receiver
from loopback import closed_port, eventually

from upstatd.clock import FakeClock

NOW = 1_800_000_000


async def test_alerts_are_listed_filtered_and_paged(start_api):
    receiver = await Receiver().start()
    try:
        api = await start_api(f"""
            alert_channels:
              - key: ops-hook
                type: webhook
                webhook: {{url: "{receiver.url('/in')}"}}
            defaults: {{alert_channels: [ops-hook]}}
            """, clock=FakeClock(wall=NOW))
        _, _, page = await api.request("GET", "/api/alert-channels")
        good = page["data"][0]["id"]
        _, _, bad = await api.request("POST", "/api/alert-channels", json={
            "type": "webhook", "webhook": {"url": f"http://127.0.0.1:{closed_port()}/"}})

        _, _, first = await api.request("POST", f"/api/alert-channels/{good}/test")           # NOW
        api.clock.advance(100)
        _, _, failed = await api.request("POST", f"/api/alert-channels/{bad['id']}/test")     # NOW + 100
        api.clock.advance(100)
        _, _, incident = await api.request("POST", "/api/incidents", json={"title": "queue stuck"})  # NOW + 200

        async def opened():
            _, _, page = await api.request("GET", f"/api/incidents/{incident['id']}/alerts")
            return page["data"] if page["data"] and page["data"][0]["status"] == "sent" else None
        (alert,) = await eventually(opened)
        assert (alert["reason"], alert["channel_id"], alert["incident_id"]) == ("opened", good, incident["id"])
        assert alert["created_at"] == NOW + 200 and alert["attempts"][0]["ok"] is True

        async def ids(query: str = "") -> list[str]:
            status, _, page = await api.request("GET", f"/api/alerts{query}")
            assert status == 200, page
            return [a["id"] for a in page["data"]]

        everything = [alert["id"], failed["alert"]["id"], first["alert"]["id"]]
        assert await ids() == everything
        assert await ids(f"?channel_id={good}") == [alert["id"], first["alert"]["id"]]
        assert await ids(f"?channel_id={bad['id']}") == [failed["alert"]["id"]]
        assert await ids("?channel_id=ch_nosuchchannel") == []
        assert await ids(f"?incident_id={incident['id']}") == [alert["id"]]
        assert await ids("?status=failed") == [failed["alert"]["id"]]
        assert await ids("?status=sent") == [alert["id"], first["alert"]["id"]]
        assert await ids(f"?created_gte={NOW + 100}") == everything[:2]
        assert await ids(f"?created_lte={NOW + 100}") == everything[1:]
        assert await ids(f"?created_gte={NOW + 50}&created_lte={NOW + 150}") == [failed["alert"]["id"]]
        assert await ids("?limit=1") == everything[:1]
        assert await ids(f"?limit=1&starting_after={everything[0]}") == everything[1:2]
        assert await ids(f"?ending_before={everything[2]}") == everything[:2]
        _, _, page = await api.request("GET", f"/api/incidents/{incident['id']}/alerts?status=failed")
        assert page["data"] == [] and page["url"] == f"/api/incidents/{incident['id']}/alerts"
        _, _, page = await api.request("GET", f"/api/incidents/{incident['id']}/alerts?channel_id={good}")
        assert [a["id"] for a in page["data"]] == [alert["id"]]

        for path in ("/api/alerts/alt_nosuchalert", "/api/incidents/inc_nosuchincident/alerts"):
            status, _, error = await api.request("GET", path)
            assert status == 404 and error["error"]["type"] == "invalid_request_error", error
        for query, param in (("?status=lost", "status"), ("?created_gte=soon", "created_gte"),
                             ("?channel=ch_x", "channel"), ("?limit=0", "limit")):
            status, _, error = await api.request("GET", f"/api/alerts{query}")
            assert status in (400, 422) and error["error"]["param"] == param, (query, error)
    finally:
        await receiver.close()
