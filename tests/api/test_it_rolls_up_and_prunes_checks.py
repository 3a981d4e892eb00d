"""The daemon's roll-up pass: a loopback TCP monitor's checks become an hourly
rollup once the hour is complete, and raw checks past `retention.checks` are
pruned while their rollups stay; `retention` is checked like every section."""

from __future__ import annotations

import asyncio

import pytest

from loopback import idle, start_raw
from upstatd.clock import FakeClock
from upstatd.config.load import ConfigError, load_config
from upstatd.store import rollups

NOW = 1_800_000_000 - 1_800_000_000 % 3600  # an hour's start, s


async def count(api, sql: str) -> int:
    await api.daemon.writer.flush()
    return (await api.daemon.read_db.execute_fetchall(sql))[0][0]


async def test_checks_become_rollups_and_old_ones_go(start_api):
    target = await start_raw(idle)
    try:
        api = await start_api(f"""
            retention: {{checks: 1d, rollups: 30d}}
            monitors:
              - {{key: db, type: tcp, url: "tcp://127.0.0.1:{target.port}", interval: 10m}}
            """, clock=FakeClock(wall=NOW))
        monitors, runner = api.daemon.monitors, api.daemon.runner
        for _ in range(6):  # an hour of probes, one every 10 minutes
            due = monitors.slots.when("db")
            api.clock.advance(max(0.0, due - api.clock.monotonic()) + runner.wheel.tick)
            while monitors.slots.when("db") == due or runner.busy("db"):
                await asyncio.sleep(0.005)
        checks = await count(api, "SELECT count(*) FROM checks")
        assert checks >= 6
        assert await api.daemon.roll_up_once() == (0, 0)  # the hour is not complete yet
        api.clock.advance(3600 + rollups.LAG_MS / 1000)
        hours, pruned = await api.daemon.roll_up_once()
        assert hours >= 1 and pruned == 0
        rolled = await count(api, "SELECT sum(checks) FROM rollups WHERE period = 'hour'")
        assert 0 < rolled <= checks
        api.clock.advance(2 * 86400)
        await api.daemon.roll_up_once()
        assert await count(api, "SELECT count(*) FROM checks WHERE created_at < "
                                f"{(NOW + 3600) * 1000}") == 0  # the rolled-up hour's raw checks are gone
        assert await count(api, "SELECT sum(checks) FROM rollups WHERE period = 'hour'") >= rolled  # kept
    finally:
        await target.close()


@pytest.mark.parametrize("text, words", [
    ("retention: {checks: 1h}", "retention.checks: must be >= 1d"),
    ("retention: {checks: 30d, hourly: 7d}", "retention.hourly: must be at least retention.checks (30d)"),
    ("retention: {hourly: 60d, rollups: 40d}", "retention.rollups: must be at least retention.hourly (60d)"),
    ("retention: {raw: 1d}", "retention.raw: unknown key"),
])
def test_retention_is_checked_with_its_line(tmp_path, text, words):
    path = tmp_path / "config.yaml"
    path.write_text(f"monitors: []\n{text}\n")
    with pytest.raises(ConfigError) as error:
        load_config(str(path), environ={})
    assert any(words in message for message in error.value.messages), error.value.messages
