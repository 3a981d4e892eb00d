"""An incident resolved before its next step is due stops escalating: that
step never fires (its timer is cancelled and the stored escalation has no
next_at), though the clock passes every wait of the policy. Who was paged
hears of the recovery."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from escalatekit import NOW, config, first_probe, paged, seed, settle, tick, timeline
from loopback import closed_port, eventually
from upstatd.clock import FakeClock


async def test_a_step_after_the_resolution_never_fires(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    seed(path)
    api = await start_api(config(smtp, closed_port(), path), clock=FakeClock(wall=NOW))
    incident = await first_probe(api)
    await tick(api, 1)
    await eventually(lambda: paged(smtp) == ["anna"], timeout=10)

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
