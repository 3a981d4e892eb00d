"""An incident opening escalates along the default policy: the on-call person
(a contact method naming a config email channel) is mailed at once, Bob when
his step's wait is over, and an acknowledgement between steps stops the rest.
Each step is an entry of the incident's timeline and an alert of reason
`escalated`. The daemon's clock is a FakeClock: the wheel fires the steps."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from escalatekit import paged, paging, settle, tick, timeline
from loopback import eventually


async def test_steps_page_in_turn_until_acknowledged(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    api, incident = await paging(start_api, path, smtp)
    assert "[ESCALATED]" in smtp.mails[0].message["Subject"]
    await tick(api, 590)
    await settle()
    assert paged(smtp) == ["anna"]  # not before its wait
    await tick(api, 11)  # 600 s after step 1 fired
    await eventually(lambda: paged(smtp) == ["anna", "bob"], timeout=10)

    status, _, _ = await api.request("POST", f"/api/incidents/{incident['id']}/acknowledge", json={})
    assert status == 200
    await tick(api, 3600)
    await settle()
    assert paged(smtp) == ["anna", "bob"]  # acknowledged: the manager is never paged
    assert await timeline(api, incident["id"]) == [
        "Escalated (step 1 of 3, round 1): paged Anna Berzina",
        "Escalated (step 2 of 3, round 1): paged Bob"]
    _, _, alerts = await api.request("GET", f"/api/incidents/{incident['id']}/alerts")
    assert sorted(alert["reason"] for alert in alerts["data"]) == ["escalated", "escalated", "opened"]
    with closing(sqlite3.connect(path)) as conn:  # stopped in the acknowledgement's commit
        (fired, next_at), = conn.execute("SELECT fired, next_at FROM escalations").fetchall()
    assert [step[:2] for step in json.loads(fired)] == [[0, 0], [0, 1]] and next_at is None

