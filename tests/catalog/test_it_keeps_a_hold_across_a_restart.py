"""A held incident survives a restart: held_until is stored, and the daemon started
again on the state file arms the hold's timer (`incident.hold`) from it; at its end
the incident is alerted on its own. A hold that ended while the daemon was stopped
ends at start."""

from __future__ import annotations

import pytest

from groupingkit import close, config, outage, receiver, start_api  # noqa: F401  (fixtures)
from clockdrive import move_to
from upstatd.clock import FakeClock


async def held_then_stopped(start_api, receiver, tmp_path):
    found = await outage(start_api, receiver, tmp_path, confirmation={"postgres": 4})
    monitors = found.api.daemon.monitors.by_id
    await found.down("postgres", "api")
    await found.probe("postgres")
    while monitors[found.monitors["api"]].state.state != "down":
        await found.probe("api")
    held = await found.incident("api")
    assert held["held_until"] is not None
    clock = found.api.clock
    await found.api.daemon.stop()
    return found, held, clock


@pytest.mark.parametrize("stopped_for, fires_at_start", [(5, False), (120, True)])
async def test_a_hold_is_rearmed_at_start(start_api, receiver, tmp_path, stopped_for, fires_at_start):
    found, held, clock = await held_then_stopped(start_api, receiver, tmp_path)
    try:
        later = FakeClock(start=clock.monotonic(), wall=clock.time() + stopped_for)
        again = await start_api(config(str(tmp_path / "state.db"), receiver), clock=later)
        found.api = again
        if not fires_at_start:
            assert again.daemon.grouping.timers.when(held["id"]) is not None
            await found.at(held["held_until"] - 1)
            assert receiver.got == []
            await move_to(again, held["held_until"] + 1)
        else:  # due already: at the wheel's first tick
            assert again.daemon.grouping.timers.when(held["id"]) is not None
            await found.later(0.1)
        assert await found.sent_settled(1) == [("opened", held["id"])]
        assert (await found.incident("api"))["held_until"] is None
        assert len(await found.timeline(held["id"], "released")) == 1
    finally:
        await close(found)
