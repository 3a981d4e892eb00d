"""Scheduling with confirmation: the runner and the monitor service on a fake
clock, probing a real loopback server, storing into a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from loopback import RawServer, start_raw
from wiring import outbox
from upstatd.clock import FakeClock
from upstatd.store.checks import CheckLog
from upstatd.monitors.service import MonitorService
from upstatd.scheduler.runner import Runner
from upstatd.store.monitors import reconcile
from upstatd.store.writer import Writer


def scripted(failing: set[int]):
    """HTTP server answering 500 on the connections numbered in `failing` (1-based), else 200."""
    async def handler(server: RawServer, reader, writer) -> None:
        await server.read_request(reader)
        number = server.accepted
        status = b"500 Internal Server Error" if number in failing else b"200 OK"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
    return handler


class Harness:
    """A MonitorService whose time only moves when the test moves it."""

    def __init__(self, clock: FakeClock, service: MonitorService, runner: Runner, writer: Writer, path: str):
        self.clock, self.service, self.runner, self.writer, self.path = clock, service, runner, writer, path

    async def step(self, key: str) -> None:
        """Advance the fake clock to the monitor's next timer, fire it, let the probe finish."""
        # A timer fires once its whole tick has passed: step to the end of that tick.
        when = self.next_timer(key) + self.runner.wheel.tick
        self.clock.advance(max(0.0, when - self.clock.monotonic()))
        self.runner.fire(self.clock.monotonic())
        for _ in range(500):  # real I/O on loopback: bounded wait for the probe
            if self.runner.in_flight == 0:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("probe did not finish")

    def next_timer(self, key: str) -> float:
        """The sooner of the monitor's grid slot and its re-check."""
        return min(when for when in (self.service.slots.when(key), self.service.rechecks.when(key))
                   if when is not None)

    def state(self, key: str) -> str:
        return self.service.monitors[key].state.state

    async def state_changes(self) -> list[tuple[str, str]]:
        await self.writer.flush()
        with sqlite3.connect(self.path) as conn:
            return conn.execute("SELECT from_state, to_state FROM state_changes ORDER BY seq").fetchall()


@pytest.fixture
async def harness(store):
    conn, writer, path = store
    clock = FakeClock()
    runner = Runner(clock, max_in_flight=10)
    service = MonitorService(clock, runner, writer, CheckLog(writer, 1), *outbox(clock, writer))

    async def start(config):
        stored = await writer.run(lambda c: reconcile(c, config.monitors, clock.time()))
        service.apply(config.monitors, stored)
        return Harness(clock, service, runner, writer, path)

    yield start
    await runner.drain(1)


def monitor_yaml(url: str, failures: int = 3) -> str:
    return f"""
        monitors:
          - key: site
            type: http
            url: {url}
            interval: 60s
            timeout: 2s
            confirmation: {{failures: {failures}, successes: 1, recheck: 5s}}
        """


async def test_it_confirms_a_continuous_failure_after_rechecks_not_intervals(harness, make_config):
    server = await start_raw(scripted(failing=set(range(2, 100))))
    try:
        h = await harness(make_config(monitor_yaml(server.url("/"), failures=3)))
        await h.step("site")
        assert h.state("site") == "up"
        up_at = h.clock.monotonic()

        await h.step("site")  # first failure: a whole interval later
        first_failure = h.clock.monotonic()
        assert first_failure - up_at == pytest.approx(60, abs=0.02)
        assert h.state("site") == "up"
        await h.step("site")
        assert h.state("site") == "up"
        await h.step("site")
        assert h.state("site") == "down"
        # Down 2 re-checks (2 x 5 s) after the first failure, not 2 more intervals.
        assert h.clock.monotonic() - first_failure == pytest.approx(10, abs=0.02)
        assert await h.state_changes() == [("pending", "up"), ("up", "down")]

        # Once confirmed down, probing goes back to the interval grid.
        down_at = h.clock.monotonic()
        await h.step("site")
        assert 0 < h.clock.monotonic() - down_at <= 60
        assert h.service.rechecks.when("site") is None
        assert h.service.slots.when("site") - h.clock.monotonic() > 5
    finally:
        await server.close()


async def test_it_never_calls_a_single_failure_an_outage(harness, make_config):
    server = await start_raw(scripted(failing={3, 6, 9}))
    try:
        h = await harness(make_config(monitor_yaml(server.url("/"), failures=2)))
        states = []
        for _ in range(12):
            await h.step("site")
            states.append(h.state("site"))
        assert "down" not in states
        assert server.accepted == 12
        assert await h.state_changes() == [("pending", "up")]
    finally:
        await server.close()


async def test_it_stores_every_check_with_its_phases_and_error(harness, make_config):
    server = await start_raw(scripted(failing={2}))
    try:
        h = await harness(make_config(monitor_yaml(server.url("/"), failures=2)))
        await h.step("site")
        await h.step("site")
        await h.writer.flush()
        with sqlite3.connect(h.path) as conn:
            rows = conn.execute(
                "SELECT ok, state, status_code, error_kind, error_message, connect_us IS NOT NULL, "
                "first_byte_us IS NOT NULL FROM checks ORDER BY seq").fetchall()
        assert rows == [
            (1, "up", 200, None, None, 1, 1),
            (0, "up", 500, "status_code", "status 500, expected 2xx", 1, 1),
        ]
    finally:
        await server.close()


def slow(delay: float):
    """HTTP server answering 200 after `delay` seconds."""
    async def handler(server: RawServer, reader, writer) -> None:
        await server.read_request(reader)
        await asyncio.sleep(delay)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
    return handler


async def test_it_calls_a_slow_but_correct_target_degraded_not_down(harness, make_config):
    server = await start_raw(slow(0.15))
    try:
        h = await harness(make_config(f"""
            monitors:
              - key: site
                type: http
                url: {server.url("/")}
                interval: 60s
                timeout: 2s
                confirmation: {{failures: 2, successes: 1, recheck: 5s}}
                http: {{max_response_time: 50ms}}
            """))
        await h.step("site")
        assert h.state("site") == "degraded"  # pending takes the first confirmed state
        await h.writer.flush()
        with sqlite3.connect(h.path) as conn:
            row = conn.execute("SELECT ok, state, error_kind FROM checks").fetchone()
            current = conn.execute("SELECT current_state FROM monitors").fetchone()[0]
        assert row[:2] == (1, "degraded") and row[2] == "slow_response"
        assert current == "degraded"
        assert await h.state_changes() == [("pending", "degraded")]
    finally:
        await server.close()
