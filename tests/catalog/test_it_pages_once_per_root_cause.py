"""The acceptance scenario of root-cause grouping: web and worker need api, api needs
postgres and redis. Postgres's target goes down, then api's and web's a few seconds
later: exactly one alert goes out (postgres's); api's and web's incidents are caused
by postgres's, their alerts recorded suppressed (reason dependency, in GET
/api/alerts), and each timeline says why. Postgres recovers and the rest follow: all
resolve, and nothing more is sent than postgres's recovery."""

from __future__ import annotations

from groupingkit import close, outage, receiver, start_api  # noqa: F401  (fixtures)


async def test_one_outage_pages_once(start_api, receiver, tmp_path):
    found = await outage(start_api, receiver, tmp_path)
    try:
        await found.down("postgres")
        await found.probe("postgres")
        postgres = await found.incident("postgres")
        await found.later(3)
        await found.down("api", "web")
        await found.probe("api")
        await found.probe("web")
        api, web = await found.incident("api"), await found.incident("web")

        assert await found.sent_settled(1) == [("opened", postgres["id"])]
        assert api["caused_by"] == postgres["id"] and web["caused_by"] == postgres["id"]
        assert api["held_until"] is None and api["status"] == "open"
        _, _, root = await found.api.request("GET", f"/api/incidents/{postgres['id']}")
        assert sorted(root["caused_incidents"]) == sorted([api["id"], web["id"]]) and root["caused_by"] is None
        assert await found.alerts(api["id"]) == [("dependency", "suppressed")]
        assert await found.alerts(web["id"]) == [("dependency", "suppressed")]
        assert await found.timeline(api["id"], "grouped") == [
            f"Caused by postgres: {postgres['id']} (api depends on it); its alerts are suppressed"]
        assert sorted(await found.timeline(postgres["id"], "grouped")) == [
            f"Caused api's incident {api['id']} (api depends on postgres): its alerts are suppressed",
            f"Caused web's incident {web['id']} (web depends on postgres): its alerts are suppressed"]

        await found.up("postgres", "api", "web")
        await found.probe("postgres")
        await found.probe("api")
        await found.probe("web")
        listed = {incident["id"]: incident for incident in await found.incidents()}
        assert {incident["status"] for incident in listed.values()} == {"resolved"}
        assert sorted(listed[postgres["id"]]["caused_incidents"]) == sorted([api["id"], web["id"]])  # as stored
        assert listed[web["id"]]["caused_by"] == postgres["id"]
        await found.later(60)  # past any hold: nothing is released
        assert await found.sent_settled(2) == [("opened", postgres["id"]), ("resolved", postgres["id"])]
        assert await found.timeline(api["id"], "released") == []
    finally:
        await close(found)
