"""A monitor's three kinds of timer on a fake clock: `monitor.slot` (the phase
grid), `monitor.recheck` (off the grid while a change is unconfirmed) and
`monitor.resume` (resume_at). A re-check never costs the grid slot, a slot
probe that starts makes a pending re-check moot, pausing or removing cancels
every kind, and resume_at fires its own kind. Probes are not run: `launch`
is recorded, and results are handed to `record` as a probe would."""

from __future__ import annotations

import pytest

from upstatd.clock import FakeClock
from upstatd.monitors.service import MonitorService
from upstatd.probes.result import Phases
from upstatd.scheduler.runner import Runner
from upstatd.store import monitors as monitor_store
from upstatd.store.checks import CheckLog
from wiring import outbox

NOW = 1_700_000_000.0
TICK = 0.01
INTERVAL, RECHECK = 60.0, 5.0

YAML = """
    monitors:
      - key: site
        type: tcp
        url: "tcp://127.0.0.1:9"
        interval: 60s
        timeout: 1s
        confirmation: {failures: 3, successes: 1, recheck: 5s}
    """


class Harness:
    def __init__(self, clock: FakeClock, service: MonitorService) -> None:
        self.clock, self.service = clock, service
        self.launched: list[float] = []   # monotonic times a probe of "site" started
        self.refuse = False               # the next launch finds the monitor busy
        service.runner.launch = self._launch

    def _launch(self, key, job) -> bool:
        if self.refuse:
            self.refuse = False
            return False
        self.launched.append(self.clock.monotonic())
        return True

    @property
    def kinds(self):
        return {"slot": self.service.slots, "recheck": self.service.rechecks, "resume": self.service.resumes}

    def armed(self) -> dict[str, float]:
        """Seconds from now to each armed timer of the monitor, by kind."""
        now = self.clock.monotonic()
        return {name: round(when - now, 3) for name, timers in self.kinds.items()
                if (when := timers.when("site")) is not None}

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.service.runner.fire(self.clock.monotonic())

    def to(self, kind: str) -> None:
        """Move to the end of the tick the kind's timer sits in, and fire."""
        self.advance(self.kinds[kind].when("site") - self.clock.monotonic() + TICK)

    def result(self, ok: bool) -> None:
        phases = Phases()
        self.service.record(self.service.monitors["site"],
                            phases.success() if ok else phases.failure("connection_error", "refused"))

    @property
    def state(self) -> str:
        return self.service.monitors["site"].state.state


@pytest.fixture
async def harness(store, make_config):
    _, writer, _ = store
    clock = FakeClock(start=1000.0, wall=NOW)
    service = MonitorService(clock, Runner(clock, max_in_flight=10), writer, CheckLog(writer, 1),
                             *outbox(clock, writer))
    config = make_config(YAML)
    stored = await writer.run(lambda conn: monitor_store.reconcile(conn, config.monitors, clock.time()))
    service.apply(config.monitors, stored)
    h = Harness(clock, service)
    h.to("slot")
    h.result(True)
    assert h.state == "up" and h.armed().keys() == {"slot"}
    h.launched.clear()
    return h


STEPS = {
    "slot": lambda h: h.to("slot"),
    "recheck": lambda h: h.to("recheck"),
    "fail": lambda h: h.result(False),
    "ok": lambda h: h.result(True),
    "wait 58 s": lambda h: h.advance(58),
    "busy": lambda h: setattr(h, "refuse", True),
    "pause": lambda h: h.service.pause("site", None),
    "pause until +300 s": lambda h: h.service.pause("site", h.clock.time() + 300),
    "resume": lambda h: h.service.resume("site"),
    "remove": lambda h: h.service.remove("site"),
}

# steps from an `up` monitor right after a probe -> which of its kinds are armed
CASES = {
    "an unconfirmed failure: the slot and a re-check":
        (["slot", "fail"], {"slot", "recheck"}),
    "the re-check's probe started: the slot alone until its result":
        (["slot", "fail", "recheck"], {"slot"}),
    "a second unconfirmed failure: another re-check":
        (["slot", "fail", "recheck", "fail"], {"slot", "recheck"}),
    "the failure confirmed: back to the slot alone":
        (["slot", "fail", "recheck", "fail", "recheck", "fail"], {"slot"}),
    "a success after the failure: the slot alone":
        (["slot", "fail", "recheck", "ok"], {"slot"}),
    "a slot probe that starts first makes the re-check moot":
        (["slot", "wait 58 s", "fail", "slot"], {"slot"}),
    "a slot probe that cannot start keeps the re-check":
        (["slot", "wait 58 s", "fail", "busy", "slot"], {"slot", "recheck"}),
    "paused: nothing":
        (["slot", "fail", "pause"], set()),
    "paused with resume_at: the resume alone":
        (["slot", "fail", "pause until +300 s"], {"resume"}),
    "paused with resume_at, then without: nothing":
        (["slot", "fail", "pause until +300 s", "pause"], set()),
    "resumed over the API: the slot alone":
        (["slot", "fail", "pause until +300 s", "resume"], {"slot"}),
    "removed: nothing":
        (["slot", "fail", "remove"], set()),
    "removed while paused with resume_at: nothing":
        (["pause until +300 s", "remove"], set()),
}


@pytest.mark.parametrize("steps, armed", CASES.values(), ids=CASES.keys())
async def test_which_timers_a_monitor_has(harness, steps, armed):
    for step in steps:
        STEPS[step](harness)
    assert harness.armed().keys() == armed


async def test_an_unconfirmed_failure_gets_a_recheck_without_losing_its_slot(harness):
    h = harness
    h.to("slot")
    slot = h.clock.monotonic()
    h.result(False)   # fired at the end of the slot's tick: the next slot is a tick short of an interval
    assert h.armed() == {"slot": pytest.approx(INTERVAL - TICK), "recheck": RECHECK}
    h.to("recheck")
    assert h.armed() == {"slot": pytest.approx(INTERVAL - RECHECK - 2 * TICK)}   # the same grid slot
    h.result(False)
    h.to("recheck")
    h.result(False)
    assert h.state == "down"
    assert [round(at - slot, 2) for at in h.launched] == [0, 5.01, 10.02]
    assert h.service.slots.when("site") == pytest.approx(slot - TICK + INTERVAL)
    h.to("slot")   # the grid, as if no re-check had happened
    assert h.clock.monotonic() == pytest.approx(slot + INTERVAL)
    assert h.service.runner.stats.skipped_late == 0


async def test_pause_cancels_both_and_resume_at_fires_its_own_kind(harness):
    h = harness
    h.to("slot")
    h.result(False)
    h.service.pause("site", h.clock.time() + 300)
    assert h.armed() == {"resume": 300}
    h.advance(299.9)
    assert h.launched == [h.clock.monotonic() - 299.9] and h.service.monitors["site"].paused
    h.to("resume")
    assert not h.service.monitors["site"].paused
    assert len(h.launched) == 2 and h.launched[-1] == h.clock.monotonic()
    assert h.armed().keys() == {"slot"} and 0 < h.armed()["slot"] <= INTERVAL   # back on its grid
    assert h.service.runner.stats.skipped_late == 0


async def test_a_resume_at_long_passed_is_not_lateness(harness):
    h = harness
    h.service.pause("site", h.clock.time() + 30)
    h.clock.advance(3600)   # the loop (or the daemon) stood still past resume_at
    h.service.runner.fire(h.clock.monotonic())
    assert not h.service.monitors["site"].paused and len(h.launched) == 1
    assert h.service.runner.stats.skipped_late == 0


async def test_a_wall_clock_set_back_arms_the_resume_again(harness):
    h = harness
    resume_at = h.clock.time() + 300
    h.service.pause("site", resume_at)
    h.clock.set_wall(h.clock.time() - 120)   # two minutes back, just after pausing
    h.to("resume")
    assert h.service.monitors["site"].paused and h.launched == []
    assert h.armed() == {"resume": pytest.approx(120, abs=2 * TICK)}
    h.to("resume")
    assert not h.service.monitors["site"].paused and len(h.launched) == 1
    assert h.clock.time() >= resume_at
