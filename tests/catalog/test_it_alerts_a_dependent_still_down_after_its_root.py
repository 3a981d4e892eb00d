"""When the root recovers, a caused incident whose service stays down is held for
`incidents.dependency_hold` and then alerted on its own: its opening alert goes out
(`incident.updated`, reason released), its caused_by stays as history, and both
timelines say so. One that recovers within the hold is never alerted."""

from __future__ import annotations

from groupingkit import close, outage, receiver, start_api  # noqa: F401  (fixtures)


async def test_only_web_stays_down(start_api, receiver, tmp_path):
    found = await outage(start_api, receiver, tmp_path)
    try:
        await found.down("postgres")
        await found.probe("postgres")
        postgres = await found.incident("postgres")
        await found.down("api", "web")
        await found.probe("api")
        await found.probe("web")
        web = await found.incident("web")
        assert web["caused_by"] == postgres["id"]

        await found.up("postgres", "api")
        await found.probe("postgres")
        held = await found.incident("web")
        assert held["status"] == "open" and held["held_until"] is not None
        await found.probe("api")
        await found.at(held["held_until"] - 1)
        assert await found.sent_settled(2) == [("opened", postgres["id"]), ("resolved", postgres["id"])]
        assert held["held_until"] - (await found.incident("postgres"))["resolved_at"] == 30  # the default hold
        await found.at(held["held_until"] + 1)  # (Unix seconds: the hold ends within that second)

        assert await found.sent_settled(3) == [("opened", postgres["id"]), ("resolved", postgres["id"]),
                                               ("opened", web["id"])]
        released = await found.incident("web")
        assert released["held_until"] is None and released["caused_by"] == postgres["id"]
        assert await found.alerts(web["id"]) == [("dependency", "suppressed"), ("opened", "sent")]
        assert await found.reasons(web["id"]) == ["released"]  # caused at its opening: no grouped event
        assert await found.reasons(postgres["id"]) == ["grouped", "grouped"]  # api's and web's
        assert await found.timeline(web["id"], "released") == [
            f"Released: postgres recovered ({postgres['id']}) and web is still down after the hold; "
            "alerted on its own"]
        assert await found.timeline(postgres["id"], "released") == [
            f"web's incident {web['id']} is still down after this one recovered: alerted on its own"]
        assert (await found.incident("api"))["status"] == "resolved"
        assert [entry for entry in await found.timeline((await found.incident("api"))["id"], "released")] == []
    finally:
        await close(found)
