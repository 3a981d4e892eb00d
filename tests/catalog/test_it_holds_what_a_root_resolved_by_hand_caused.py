"""A root resolved over the API (POST /api/incidents/{id}/resolve), not by its
monitor's recovery, hands on what it caused the same way: api's incident, still
down, is held for the dependency hold and then alerted on its own."""

from __future__ import annotations

from groupingkit import close, outage, receiver, start_api  # noqa: F401  (fixtures)


async def test_a_root_resolved_by_hand(start_api, receiver, tmp_path):
    found = await outage(start_api, receiver, tmp_path)
    try:
        await found.down("postgres", "api")
        await found.probe("postgres")
        await found.probe("api")
        postgres, api = await found.incident("postgres"), await found.incident("api")
        assert api["caused_by"] == postgres["id"]

        status, _, resolved = await found.api.request("POST", f"/api/incidents/{postgres['id']}/resolve", json={})
        assert status == 200 and resolved["caused_incidents"] == [api["id"]]
        await found.api.daemon.writer.flush()
        held = await found.incident("api")
        assert held["held_until"] is not None and held["caused_by"] == postgres["id"]
        await found.at(held["held_until"] + 1)
        sent = await found.sent_settled(3)
        assert sent[-1] == ("opened", api["id"]) and ("opened", postgres["id"]) in sent
        assert (await found.incident("api"))["held_until"] is None
    finally:
        await close(found)
