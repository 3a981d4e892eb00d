"""The MonitorService with config and API monitors side by side, on a fake
clock: a paused monitor is off the wheel (or waits for its resume_at), a
reload leaves API monitors and pauses alone, a resume_at that came resumes
and probes; reconcile keeps what the API stored; migration 0004 fills the
metadata column of existing config monitors."""

from __future__ import annotations

import sqlite3

import pytest

from wiring import outbox
from upstatd.clock import FakeClock
from upstatd.monitors import specs
from upstatd.store import checks
from upstatd.store.checks import CheckLog
from upstatd.monitors.service import MonitorService
from upstatd.scheduler.runner import Runner
from upstatd.store import db
from upstatd.store import monitors as store

NOW = 1_700_000_000.0


@pytest.fixture
async def service(store):
    conn, writer, path = store
    clock = FakeClock(start=1000.0, wall=NOW)
    runner = Runner(clock, max_in_flight=10)
    svc = MonitorService(clock, runner, writer, CheckLog(writer, await conn.call(checks.next_seq)),
                         *outbox(clock, writer))
    svc.launched = []
    runner.launch = lambda key, job: svc.launched.append(key) or True  # no real probes here
    svc.path = path
    return svc


def yaml(port_a: int = 1, port_b: int = 2, interval: str = "60s") -> str:
    return f"""
        monitors:
          - {{key: a, type: tcp, url: "tcp://127.0.0.1:{port_a}", interval: {interval}}}
          - {{key: b, type: tcp, url: "tcp://127.0.0.1:{port_b}"}}
        """


async def api_monitor(svc: MonitorService, port: int = 3):
    monitor_id = "mon_" + "x" * 22
    spec, problems = specs.build({"key": monitor_id, "type": "tcp", "url": f"tcp://127.0.0.1:{port}"})
    assert not problems
    row = await svc.writer.run(lambda conn: store.insert(conn, monitor_id, spec, round(NOW * 1000)))
    svc.put(spec, row.stored())
    return monitor_id, row


async def reconcile(svc: MonitorService, config):
    stored = await svc.writer.run(lambda conn: store.reconcile(conn, config.monitors, svc.clock.time()))
    return svc.apply(config.monitors, stored)


async def test_a_reload_leaves_api_monitors_alone(service, make_config):
    await reconcile(service, make_config(yaml()))
    monitor_id, _ = await api_monitor(service)
    running = service.monitors[monitor_id]
    # its first probe: within half a second, not a whole interval away
    assert 0 <= service.slots.when(monitor_id) - service.clock.monotonic() < 0.5
    counts = await reconcile(service, make_config(yaml(port_b=22)))
    assert counts == {"added": 0, "changed": 1, "removed": 0, "unchanged": 1}
    assert service.monitors[monitor_id] is running
    assert service.retain({"a"}) == 1  # b: API monitors are never "not in the file"
    assert set(service.monitors) == {"a", monitor_id}


async def test_a_paused_config_monitor_stays_off_the_wheel_through_a_reload(service, make_config):
    await reconcile(service, make_config(yaml()))
    seq = (await service.writer.run(lambda conn: conn.execute(
        "SELECT seq FROM monitors WHERE key = 'a'").fetchall()))[0][0]
    await service.writer.run(lambda conn: store.pause(conn, seq, round(NOW * 1000), None))
    service.pause("a", None)
    assert service.slots.when("a") is None

    counts = await reconcile(service, make_config(yaml(interval="30s")))  # a changed
    assert counts["changed"] == 1
    assert service.monitors["a"].paused and service.monitors["a"].spec.interval == 30
    assert service.slots.when("a") is None
    service.clock.advance(3600)
    service.runner.fire(service.clock.monotonic())
    assert "a" not in service.launched and "b" in service.launched

    # A fresh service (a restart) reads the pause from the database.
    fresh = MonitorService(service.clock, Runner(service.clock), service.writer, service.checks,
                           service.bus, service.incidents)
    await reconcile(fresh, make_config(yaml(interval="30s")))
    assert fresh.monitors["a"].paused and fresh.slots.when("a") is None


async def test_a_resume_at_resumes_and_probes_at_that_time(service):
    monitor_id, row = await api_monitor(service)
    service.clock.advance(1)
    service.runner.fire(service.clock.monotonic())
    assert service.launched == [monitor_id]

    resume_at = NOW + 1 + 300
    await service.writer.run(lambda conn: store.pause(conn, row.seq, round((NOW + 1) * 1000),
                                                      round(resume_at * 1000)))
    service.pause(monitor_id, resume_at)
    assert service.slots.when(monitor_id) is None
    assert service.resumes.when(monitor_id) == pytest.approx(service.clock.monotonic() + 300)
    service.clock.advance(299.9)
    service.runner.fire(service.clock.monotonic())
    assert service.launched == [monitor_id] and service.monitors[monitor_id].paused

    service.clock.advance(0.2)
    service.runner.fire(service.clock.monotonic())
    assert service.launched == [monitor_id, monitor_id]
    assert not service.monitors[monitor_id].paused
    assert service.runner.stats.skipped_late == 0
    await service.writer.flush()
    with sqlite3.connect(service.path) as conn:
        assert conn.execute("SELECT status, paused_at, resume_at FROM monitors WHERE seq = ?",
                            (row.seq,)).fetchone() == ("active", None, None)
        assert conn.execute("SELECT started_at, ended_at FROM monitor_pauses").fetchall() == [
            (round((NOW + 1) * 1000), round((NOW + 301.1) * 1000))]


async def test_a_result_that_lands_while_paused_is_dropped(service):
    from upstatd.probes.result import Phases

    monitor_id, _ = await api_monitor(service)
    running = service.monitors[monitor_id]
    service.pause(monitor_id, None)
    service.record(running, Phases().failure("connection_error", "refused"))
    await service.writer.flush()
    with sqlite3.connect(service.path) as conn:
        assert conn.execute("SELECT count(*) FROM checks").fetchone() == (0,)


async def test_no_seq_is_used_twice(service):
    monitor_id, row = await api_monitor(service)
    service.checks.add((row.seq, 0, 1, "up", 1, None, None, None, None, None, None, None, None, None))
    await service.writer.run(lambda conn: store.delete_history(conn, [row.seq]))
    # a result in flight when it was deleted lands afterwards
    service.checks.add((row.seq, 0, 1, "up", 1, None, None, None, None, None, None, None, None, None))
    await service.writer.flush()
    spec, _ = specs.build({"key": "mon_" + "y" * 22, "type": "tcp", "url": "tcp://127.0.0.1:4"})
    again = await service.writer.run(lambda conn: store.insert(conn, "mon_" + "y" * 22, spec, 0))
    assert again.seq > row.seq and again.last_check_at is None


async def test_migration_0004_fills_metadata_of_config_monitors(tmp_path):
    path = str(tmp_path / "old.db")
    db.prepare_file(path)
    conn = db.connect(path)
    try:
        for number, _, sql in db.migrations():
            if number <= 3:
                conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
        conn.execute(
            "INSERT INTO monitors (id, key, managed_by, name, type, url, interval_ms, timeout_ms, spec, "
            "state_since, created_at, updated_at) VALUES "
            "('mon_a', 'a', 'config', 'a', 'tcp', 'tcp://h:1', 60000, 10000, "
            "'{\"confirmation\":{},\"metadata\":{\"team\":\"ops\"},\"tags\":[]}', 0, 0, 0), "
            "('mon_b', 'b', 'config', 'b', 'tcp', 'tcp://h:2', 60000, 10000, '{\"tags\":[]}', 0, 0, 0)")
        assert db.migrate(conn) >= 4
        rows = conn.execute("SELECT key, metadata FROM monitors ORDER BY key").fetchall()
        assert [tuple(row) for row in rows] == [("a", '{"team":"ops"}'), ("b", "{}")]
    finally:
        conn.close()


async def test_a_pause_that_comes_before_the_monitors_are_loaded_still_counts(service, make_config):
    # The listener opens a moment before the config monitors are scheduled.
    service.pause("a", None)
    service.pause("b", NOW + 60)
    service.resume("b")
    await reconcile(service, make_config(yaml()))
    assert service.monitors["a"].paused and service.slots.when("a") is None
    assert not service.monitors["b"].paused and service.slots.when("b") is not None
