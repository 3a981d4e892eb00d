"""No escalation for an incident caused by another (or held): with a default policy,
postgres's incident escalates at once, api's and web's caused by it do not; when
postgres recovers and web stays down, web's escalation starts on its release."""

from __future__ import annotations

import sys
from pathlib import Path

from groupingkit import close, outage, receiver, rows, start_api  # noqa: F401  (fixtures)

sys.path.append(str(Path(__file__).parent.parent / "oncall"))
from rowskit import add_person, add_policy  # noqa: E402

STEPS = [{"wait_seconds": 0, "targets": [{"type": "user", "id": "usr_anna"}]}]


async def escalated(found, incident_id: str) -> list[str]:
    """Its escalation entries, once there are some (the step timer is armed just after the commit)."""
    for _ in range(50):
        entries = await found.timeline(incident_id, "escalated")
        if entries:
            return entries
        await found.later(0.2)
    return []


async def test_escalation_waits_for_the_release(start_api, receiver, tmp_path):
    path = str(tmp_path / "state.db")
    add_person(path, "usr_anna", "Anna Berzina")
    add_policy(path, "esc_team", "Team", STEPS, is_default=True)
    found = await outage(start_api, receiver, tmp_path)
    try:
        await found.down("postgres")
        await found.probe("postgres")
        postgres = await found.incident("postgres")
        await found.down("api", "web")
        await found.probe("api")
        await found.probe("web")
        api, web = await found.incident("api"), await found.incident("web")
        assert len(await escalated(found, postgres["id"])) == 1
        assert rows(path, "SELECT incident_id FROM escalations") == [(postgres["id"],)]
        assert await found.timeline(api["id"], "escalated") == []

        await found.up("postgres", "api")
        await found.probe("postgres")
        await found.probe("api")
        held = await found.incident("web")
        await found.at(held["held_until"] + 1)
        assert await escalated(found, web["id"]) == [
            "Escalated (step 1 of 1, round 1): paged Anna Berzina"]
        assert sorted(rows(path, "SELECT incident_id FROM escalations")) == sorted([(postgres["id"],), (web["id"],)])
        assert await found.timeline(api["id"], "escalated") == []
    finally:
        await close(found)
