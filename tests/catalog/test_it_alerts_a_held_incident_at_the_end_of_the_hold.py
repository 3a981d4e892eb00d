"""The hold's end, with no root: api's incident is held while postgres fails but is
not confirmed down; postgres recovers unconfirmed, and when the hold (here
`incidents.dependency_hold: 10s`) is over, api is alerted on its own: its
opening alert goes out then (`incident.updated`, reason released), not before."""

from __future__ import annotations

from groupingkit import close, outage, receiver, start_api  # noqa: F401  (fixtures)


async def test_no_root_within_the_hold(start_api, receiver, tmp_path):
    found = await outage(start_api, receiver, tmp_path, confirmation={"postgres": 4},
                         more="incidents: {dependency_hold: 10s}\n")
    monitors = found.api.daemon.monitors.by_id
    try:
        await found.down("postgres", "api")
        await found.probe("postgres")
        while monitors[found.monitors["api"]].state.state != "down":
            await found.probe("api")
        held = await found.incident("api")
        assert held["held_until"] is not None and held["held_until"] - held["started_at"] in (9, 10, 11)
        await found.up("postgres")
        await found.at(held["held_until"] - 1)
        assert receiver.got == [] and await found.alerts(held["id"]) == []

        await found.at(held["held_until"] + 1)
        assert await found.sent_settled(1) == [("opened", held["id"])]
        released = await found.incident("api")
        assert released["held_until"] is None and released["caused_by"] is None
        assert await found.alerts(held["id"]) == [("opened", "sent")]
        assert await found.timeline(held["id"], "released") == [
            "Released: no service api depends on was confirmed down within the hold of 10 s; alerted on its own"]
        assert monitors[found.monitors["postgres"]].state.state == "up"
    finally:
        await close(found)
