"""End to end, on a FakeClock: a reminder of postgres's open incident (a webhook
channel with `reminder_interval: 30m`, a receiver on loopback) names the runbook
as the outage did, read again when it is sent: a step added to the runbook in
between is counted in it; the acknowledgement names none."""

from __future__ import annotations

import asyncio
import json

from notifykit import STEPS, eventually, postgres, receiver, start_api, webhook_channel  # noqa: F401

from upstatd.clock import FakeClock

NOW = 1_800_000_000


def reasons(receiver) -> list[str]:
    return [receiver.json(n)["reason"] for n in range(len(receiver.got))]


async def test_a_reminder_names_the_runbook_as_it_is_then(start_api, receiver, tmp_path):
    channel = webhook_channel(receiver.url("/hook"), "reminder_interval: 30m, "
                                                     "events: [incident.created, incident.acknowledged]")
    pg = await postgres(start_api, tmp_path, {"hook": channel}, clock=FakeClock(wall=NOW), interval="1h")
    api = pg.api
    try:
        await pg.fail()
        monitors = api.daemon.monitors
        api.clock.advance(max(0.0, monitors.slots.when("postgres") - api.clock.monotonic())
                          + api.daemon.runner.wheel.tick)
        await eventually(lambda: reasons(receiver) == ["opened"], timeout=5)
        assert [r["more_steps"] for r in receiver.json(0)["runbooks"]] == [2]

        await api.daemon.writer.run(lambda conn: conn.execute(  # as an edit through the API leaves the row
            "UPDATE runbooks SET steps = ?, version = 2 WHERE id = 'rbk_pg'", (json.dumps([*STEPS, "Sleep"]),)))
        api.clock.advance(30 * 60 + 1)
        await asyncio.sleep(0.05)
        await eventually(lambda: reasons(receiver) == ["opened", "reminder"], timeout=5)
        [runbook] = receiver.json(1)["runbooks"]
        assert runbook["steps"] == STEPS[:3] and runbook["more_steps"] == 3

        incident_id = await pg.incident_id()
        status, _, body = await api.request("POST", f"/api/incidents/{incident_id}/acknowledge", json={})
        assert status == 200, body
        await eventually(lambda: "acknowledged" in reasons(receiver), timeout=5)
        assert receiver.json(reasons(receiver).index("acknowledged"))["runbooks"] == []
    finally:
        pg.close()
