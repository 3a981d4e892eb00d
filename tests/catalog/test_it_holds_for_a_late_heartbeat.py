"""A heartbeat is a member like a monitor: postgres's backup job's heartbeat is late
(failing, not down yet), so api's incident is held; when the heartbeat turns down
within the hold, api's incident is caused by the heartbeat's: one page."""

from __future__ import annotations

import aiohttp

from groupingkit import close, outage, receiver, start_api  # noqa: F401  (fixtures)


async def test_a_late_heartbeat_holds_its_dependents(start_api, receiver, tmp_path):
    found = await outage(start_api, receiver, tmp_path)
    beats = found.api.daemon.heartbeats.by_id
    try:
        status, _, beat = await found.api.request("POST", "/api/heartbeats", json={
            "name": "backup", "period_seconds": 60, "grace_seconds": 20, "service_id": "svc_pg"})
        assert status == 201, beat
        await found.api.daemon.grouping.refresh()
        async with aiohttp.ClientSession() as session, session.get(beat["ping_url"]) as answer:
            assert answer.status == 200
        pinged = found.api.clock.time()

        await found.at(pinged + 61)
        assert beats[beat["id"]].state.state == "late"
        await found.down("api")
        await found.probe("api")
        held = await found.incident("api")
        assert held["held_until"] is not None and held["caused_by"] is None

        await found.at(pinged + 81)
        assert beats[beat["id"]].state.state == "down"
        _, _, page = await found.api.request("GET", "/api/incidents?limit=100")
        backup = next(incident for incident in page["data"] if incident["affected_monitor_ids"] == [beat["id"]])
        assert (await found.incident("api"))["caused_by"] == backup["id"]
        assert await found.sent_settled(1) == [("opened", backup["id"])]
        assert await found.timeline(held["id"], "grouped") == [
            f"Caused by postgres: {backup['id']} (api depends on it); its alerts are suppressed"]
    finally:
        await close(found)
