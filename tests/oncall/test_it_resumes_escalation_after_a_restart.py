"""A restart between steps: the stored escalation (what fired, when) is all the
state there is. Stopped after step 1 and started again past step 2's due time,
the daemon fires step 2 once at start, not again, and step 3 waits its own 20
minutes from then."""

from __future__ import annotations

from escalatekit import NOW, config, first_probe, paged, seed, settle, tick, timeline
from loopback import closed_port, eventually
from upstatd.clock import FakeClock


async def test_a_step_due_while_stopped_fires_once_at_start(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    seed(path)
    port = closed_port()
    clock = FakeClock(wall=NOW)
    api = await start_api(config(smtp, port, path), clock=clock)
    incident = await first_probe(api)
    await tick(api, 1)
    await eventually(lambda: paged(smtp) == ["anna"], timeout=10)
    await api.daemon.stop()

    later = FakeClock(start=clock.monotonic(), wall=clock.time() + 3600)  # step 2 was due 50 min ago
    again = await start_api(config(smtp, port, path), clock=later)
    await tick(again, 1)
    await eventually(lambda: paged(smtp) == ["anna", "bob"], timeout=10)
    await tick(again, 600)
    await settle()
    assert paged(smtp) == ["anna", "bob"]  # once, and step 3 is not due yet
    await tick(again, 601)
    await eventually(lambda: paged(smtp) == ["anna", "bob", "boss"], timeout=10)
    assert await timeline(again, incident["id"]) == [
        "Escalated (step 1 of 3, round 1): paged Anna Berzina",
        "Escalated (step 2 of 3, round 1): paged Bob",
        "Escalated (step 3 of 3, round 1): paged The Manager"]
