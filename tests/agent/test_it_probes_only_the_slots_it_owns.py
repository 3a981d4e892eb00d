"""An agent probes a grid slot only if it owns it (since <= slot < until, None open),
around a move between two agents of a region: the old owner's last slot is the one
before `until`, the new owner's first is the one at or after `since`, so together they
probe each slot once. On a fake clock: the Runner's wheel is fired by hand and
launches are recorded, not run."""

from __future__ import annotations

import pytest

from upstatd.agent.probing import AgentMonitors, first_owned_slot, owns
from upstatd.clock import FakeClock
from upstatd.monitors.service import next_slot, phase_offset
from upstatd.regions.protocol import AssignedMonitor
from upstatd.scheduler.runner import Runner

WALL = 1_796_286_000.0   # our wall clock at the start; the daemon's is OFFSET ahead
OFFSET = 12.5
INTERVAL = 10.0
PHASE = phase_offset("site", INTERVAL)
MONITOR = {"key": "site", "type": "tcp", "url": "tcp://127.0.0.1:9", "interval": INTERVAL, "timeout": 1.0}


def grid(k: int) -> float:
    """The k-th slot after the start (0: the first), in the daemon's wall seconds."""
    return next_slot(WALL + OFFSET, PHASE, INTERVAL) + k * INTERVAL


@pytest.mark.parametrize("since, until, slot, owned", [
    (None, None, 5.0, True),
    (5.0, None, 5.0, True),           # since is the first owned slot
    (5.1, None, 5.0, False),
    (None, 5.0, 5.0, False),          # until is the first slot not owned
    (None, 5.1, 5.0, True),
    (4.0, 6.0, 5.0, True),
    (6.0, 4.0, 5.0, False),
])
def test_owns(since, until, slot, owned):
    assert owns(since, until, slot) is owned


@pytest.mark.parametrize("after, since, until, first", [
    (100.0, None, None, 103.0),       # phase 3, interval 10: strictly after
    (103.0, None, None, 113.0),
    (100.0, 125.0, None, 133.0),      # since between slots: the next slot at or after it
    (100.0, 133.0, None, 133.0),
    (100.0, None, 103.0, None),       # until at the next slot: nothing more to probe
    (100.0, None, 103.5, 103.0),
    (100.0, 140.0, 143.0, None),      # since and until around no slot
])
def test_first_owned_slot(after, since, until, first):
    assert first_owned_slot(after, 3.0, 10.0, since, until) == first


class Harness:
    def __init__(self) -> None:
        self.clock = FakeClock(start=1000.0, wall=WALL)
        self.runner = Runner(self.clock)
        self.monitors = AgentMonitors(self.clock, self.runner, lambda *result: None, OFFSET)
        self.probed: list[float | None] = []    # the slots probes were launched for
        self.runner.launch = self._launch
        self.monitors._probe = self._probe

    def _probe(self, running, slot):
        self.probed.append(slot)
        return _nothing()

    def _launch(self, key, job) -> bool:
        job().close()  # recorded, not run
        return True

    def assign(self, since: float | None, until: float | None) -> None:
        self.monitors.apply([AssignedMonitor(id="mon_site", monitor=MONITOR, since=since, until=until)])

    def run_for(self, seconds: float) -> None:
        end = self.clock.monotonic() + seconds
        while self.clock.monotonic() < end:
            self.clock.advance(0.5)
            self.runner.fire(self.clock.monotonic())


async def _nothing() -> None:
    pass


@pytest.fixture
def harness():
    return Harness()


@pytest.mark.parametrize("since, until, probed", [
    (None, None, [0, 1, 2, 3, 4, 5]),
    (None, 3, [0, 1, 2]),                    # the old owner: slots before `until`
    (3, None, [3, 4, 5]),                    # the new owner: from `since`
    (2.5, 4.5, [3, 4]),                      # bounds between slots
    (None, 0, []),                           # moved away before its first slot
])
def test_it_probes_only_owned_slots(harness, since, until, probed):
    bound = lambda k: None if k is None else grid(k)  # noqa: E731
    harness.assign(bound(since), bound(until))
    harness.run_for(6 * INTERVAL - 1)
    assert harness.probed == [grid(k) for k in probed]


def test_a_move_hands_over_at_the_boundary_without_a_gap_or_a_repeat(harness):
    """One agent owns everything, then is told it owns only up to slot 3 (the move's
    `until`); another agent, told `since` slot 3, takes over: each slot once."""
    harness.assign(None, None)
    harness.run_for(1.5 * INTERVAL)            # slots 0 and 1
    harness.assign(None, grid(3))
    harness.run_for(4.5 * INTERVAL - 1)        # slot 2; 3, 4, 5 not owned
    new = Harness()
    new.clock.advance(harness.clock.monotonic() - new.clock.monotonic() - 4.5 * INTERVAL + 1)
    new.monitors.apply([AssignedMonitor(id="mon_site", monitor=MONITOR, since=grid(3), until=None)])
    new.run_for(4.5 * INTERVAL - 1)
    assert harness.probed == [grid(0), grid(1), grid(2)]
    assert new.probed == [grid(3), grid(4), grid(5)]
