"""An incident resolved before its next step is due stops escalating: that
step never fires (its timer is cancelled and the stored escalation has no
next_at), though the clock passes every wait of the policy. Who was paged
hears of the recovery."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from escalatekit import paged, paging, settle, tick, timeline


async def test_a_step_after_the_resolution_never_fires(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    api, incident = await paging(start_api, path, smtp)

    status, _, _ = await api.request("POST", f"/api/incidents/{incident['id']}/resolve", json={})
    assert status == 200
    for _ in range(4):
        await tick(api, 900)
    await settle()
    assert paged(smtp) == ["anna"]
    assert paged(smtp, "RECOVERED") == ["anna"]  # who was paged hears of the recovery
    assert await timeline(api, incident["id"]) == ["Escalated (step 1 of 3, round 1): paged Anna Berzina"]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT next_at FROM escalations").fetchall() == [(None,)]
