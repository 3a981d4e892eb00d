"""The runner's rules: stable spread phases, a global in-flight cap, one probe
per monitor at a time, and no burst after the loop fell behind."""

from __future__ import annotations

import asyncio
from collections import Counter

from upstatd.clock import FakeClock
from upstatd.monitors.service import next_slot, phase_offset
from upstatd.scheduler.runner import Runner


def test_it_spreads_ten_thousand_monitors_across_their_interval():
    interval = 10.0
    phases = [phase_offset(f"monitor-{n}", interval) for n in range(10_000)]
    assert all(0 <= phase < interval for phase in phases)
    per_second = Counter(int(phase) for phase in phases)
    assert len(per_second) == 10
    assert max(per_second.values()) < 1_150 and min(per_second.values()) > 850  # ~1,000 each
    per_10ms = Counter(int(phase * 100) for phase in phases)
    assert max(per_10ms.values()) <= 40  # no tick carries a burst (mean is 10)


def test_it_keeps_a_monitor_phase_across_restarts():
    assert phase_offset("db-primary", 30) == phase_offset("db-primary", 30)
    assert next_slot(1000.0, 2.5, 30) == 1022.5  # the grid is 2.5 + k * 30
    assert next_slot(1022.5, 2.5, 30) == 1052.5  # strictly after


async def _hold(event: asyncio.Event) -> None:
    await event.wait()


async def test_it_caps_probes_in_flight_and_counts_what_it_skipped():
    release = asyncio.Event()
    runner = Runner(FakeClock(), max_in_flight=2)
    started = [runner.launch(f"m{n}", lambda: _hold(release)) for n in range(5)]
    assert started == [True, True, False, False, False]
    assert runner.in_flight == 2
    assert runner.stats.skipped_capacity == 3
    release.set()
    assert await runner.drain(1) == 0
    assert runner.in_flight == 0
    assert runner.launch("m9", lambda: _hold(release))
    await runner.drain(1)


async def test_it_never_runs_one_monitor_twice_at_once():
    release = asyncio.Event()
    runner = Runner(FakeClock(), max_in_flight=100)
    assert runner.launch("m", lambda: _hold(release))
    assert not runner.launch("m", lambda: _hold(release))
    assert runner.stats.skipped_busy == 1 and runner.in_flight == 1
    release.set()
    await runner.drain(1)
    assert runner.launch("m", lambda: _hold(release))
    await runner.drain(1)


async def test_it_cancels_jobs_that_outlast_the_drain_timeout():
    never = asyncio.Event()
    runner = Runner(FakeClock())
    runner.launch("stuck", lambda: _hold(never))
    runner.stop_launching()
    assert not runner.launch("late", lambda: _hold(never))
    assert await runner.drain(0.05) == 1
    assert runner.in_flight == 0


async def test_it_skips_missed_slots_instead_of_bursting(make_config, tmp_path):
    """After a 95 s stall, each monitor on a 10 s grid fires once, and the 9
    slots it missed are counted, not replayed."""
    from upstatd.monitors.service import MonitorService
    from upstatd.store.monitors import StoredMonitor

    config = make_config("""
        monitors:
          - {key: a, type: tcp, url: "tcp://127.0.0.1:9", interval: 10s, timeout: 1s}
          - {key: b, type: tcp, url: "tcp://127.0.0.1:9", interval: 10s, timeout: 1s}
        """)
    clock = FakeClock()
    launched = []
    runner = Runner(clock)
    service = MonitorService(clock, runner, writer=None, checks=None, bus=None, incidents=None)
    runner.launch = lambda key, job: launched.append(key) or True  # record instead of probing
    service.apply(config.monitors, {m.key: StoredMonitor(1, "mon_x", "up", 0.0) for m in config.monitors})

    clock.advance(10.02)
    runner.fire(clock.monotonic())
    assert sorted(launched) == ["a", "b"]
    launched.clear()

    slots = {key: service.slots.when(key) for key in ("a", "b")}
    clock.advance(95)
    now = clock.monotonic()
    runner.fire(now)
    assert sorted(launched) == ["a", "b"]  # once each, no replay
    # every grid slot after the one that fired late, up to now, was skipped
    assert runner.stats.skipped_late == sum(int((now - slot) // 10) for slot in slots.values())
    assert runner.stats.skipped_late >= 16
    # and each is back on its grid, in the future
    for key in ("a", "b"):
        assert clock.monotonic() < service.slots.when(key) <= clock.monotonic() + 10
