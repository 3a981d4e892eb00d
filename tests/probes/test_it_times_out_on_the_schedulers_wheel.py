"""Launched by the scheduler, a probe's deadline is on the scheduler's wheel: it ends
the probe as a timeout once the (injected) clock passes it, a probe that ends in time
leaves nothing on the wheel, a probe running when a stop drains ends at its deadline,
and a stop is a stop, not a timeout."""

import asyncio

import pytest

from loopback import eventually, silent
from upstatd.clock import Clock, FakeClock
from upstatd.probes import run_probe
from upstatd.scheduler.runner import Runner


def launch(runner: Runner, kind: str, target, timeout: float, results: list) -> None:
    async def job():
        results.append(await run_probe(kind, target, timeout, runner.deadlines))
    assert runner.launch("m", job)


async def test_a_silent_server_times_out_when_the_clock_passes_the_deadline(raw_server, http_target):
    server = await raw_server(silent)
    clock = FakeClock()
    runner, results = Runner(clock), []
    # 30 s: only the injected clock can pass it within the test
    launch(runner, "http", http_target(server.url("/")), 30.0, results)
    await eventually(lambda: len(server.requests) == 1)  # waiting for the answer now
    clock.advance(29.99)
    runner.fire(clock.monotonic())
    await asyncio.sleep(0.05)
    assert results == [] and runner.busy("m")  # not yet: the deadline is not passed
    clock.advance(0.02)
    runner.fire(clock.monotonic())
    await eventually(lambda: results)
    assert (results[0].ok, results[0].error_kind) == (False, "timeout")
    assert results[0].error_message == "no answer within 30s (during first_byte)"
    await server.peer_closes()  # cancelled, the probe still closed its socket
    await eventually(lambda: not runner.busy("m"))
    assert len(runner.wheel) == 0


async def test_a_probe_that_ends_in_time_leaves_no_deadline_behind(web, http_target):
    runner, results = Runner(FakeClock()), []
    launch(runner, "http", http_target(web.url()), 5.0, results)
    await eventually(lambda: results and not runner.busy("m"))
    assert (results[0].ok, results[0].status_code) == (True, 200)
    assert len(runner.wheel) == 0  # disarmed: no timer left to fire or to cancel later
    runner.fire(runner.clock.monotonic() + 10)  # and a deadline that passed cancels nothing


async def test_a_stop_during_a_probe_is_not_a_timeout(raw_server, http_target):
    server = await raw_server(silent)
    runner, results = Runner(FakeClock()), []
    launch(runner, "http", http_target(server.url("/")), 5.0, results)
    await eventually(lambda: len(server.requests) == 1)
    task = runner._in_flight["m"]
    assert await runner.drain(0.01) == 1
    assert task.cancelled() and results == []  # cancelled as it was, no result made up
    await server.peer_closes()


async def test_a_probe_running_at_a_stop_ends_at_its_deadline(raw_server, http_target):
    """stop_launching then drain, as the daemon and the agent stop: the wheel still ticks, so
    the probe's result is its timeout within its 0.3 s, not a cancel at the drain's limit."""
    server = await raw_server(silent)
    runner, results = Runner(Clock()), []
    ticking = asyncio.create_task(runner.run())
    try:
        launch(runner, "http", http_target(server.url("/")), 0.3, results)
        await eventually(lambda: len(server.requests) == 1)
        runner.stop_launching()
        assert await runner.drain(10.0) == 0
        assert (results[0].ok, results[0].error_kind) == (False, "timeout")
    finally:
        ticking.cancel()
        await asyncio.gather(ticking, return_exceptions=True)
