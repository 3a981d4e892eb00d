"""A dependent that fails a few seconds before its root is still grouped: api's
monitor confirms at its first failure, postgres's needs four; while postgres is
failing but not yet confirmed down, api's incident is held (its alerts wait), and
when postgres's incident opens within the hold, api's is caused by it: one page."""

from __future__ import annotations

from groupingkit import close, outage, receiver, start_api  # noqa: F401  (fixtures)


async def test_the_hold_waits_for_the_root(start_api, receiver, tmp_path):
    found = await outage(start_api, receiver, tmp_path, confirmation={"postgres": 4})
    monitors = found.api.daemon.monitors.by_id
    try:
        await found.down("postgres", "api")
        await found.probe("postgres")              # one failure of four: failing, not confirmed
        assert monitors[found.monitors["postgres"]].state.state == "up"
        while monitors[found.monitors["api"]].state.state != "down":
            await found.probe("api")
        held = await found.incident("api")
        assert held["held_until"] is not None and held["caused_by"] is None
        assert held["held_until"] - held["started_at"] in (29, 30, 31)
        assert await found.alerts(held["id"]) == []  # waits

        while monitors[found.monitors["postgres"]].state.state != "down":
            await found.probe("postgres")
        postgres = await found.incident("postgres")
        api = await found.incident("api")
        assert found.api.clock.time() < held["held_until"]
        assert api["caused_by"] == postgres["id"] and api["held_until"] is None
        await found.at(held["held_until"] + 5)       # the hold's timer finds nothing to do
        assert await found.sent_settled(1) == [("opened", postgres["id"])]
        assert await found.alerts(api["id"]) == [("dependency", "suppressed")]
        timeline = await found.timeline(api["id"], "updated", "grouped")
        assert timeline[0].startswith("Held until ") and "a service api depends on is failing" in timeline[0]
        assert timeline[1:] == [f"Caused by postgres: {postgres['id']} (api depends on it); its alerts are suppressed"]
        assert (await found.incident("api"))["caused_by"] == postgres["id"]
    finally:
        await close(found)
