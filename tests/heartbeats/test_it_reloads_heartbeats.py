"""A config reload (and a restart) reconciles the YAML heartbeats: unchanged
ones keep everything, generated ping tokens survive, removed ones stop and
lose their rows, and a token clash with an API heartbeat changes nothing."""

from __future__ import annotations

import gc
import sqlite3
import textwrap
from pathlib import Path

import aiohttp
import pytest

from loopback import closed_port
from upstatd.app import Daemon, StartError
from upstatd.clock import FakeClock
from upstatd.config.load import load_config
from upstatd.systemd import Notifier

TOKEN = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "config.yaml"
        self.db = tmp_path / "state" / "upstatd.db"
        self.port = closed_port()
        self.clock = FakeClock()
        self.daemons: list[Daemon] = []

    def write(self, heartbeats: str) -> None:
        self.config.write_text(
            f'server: {{listen: "127.0.0.1:{self.port}"}}\nstorage: {{path: "{self.db}"}}\nmonitors: []\n'
            "heartbeats:\n" + textwrap.indent(textwrap.dedent(heartbeats).strip(), "  ") + "\n")

    async def start(self) -> Daemon:
        daemon = Daemon(load_config(str(self.config), environ={}), clock=self.clock, notifier=Notifier(None))
        try:
            await daemon.start()
        except BaseException:
            await daemon._close_all()
            raise
        self.daemons.append(daemon)
        return daemon

    async def stop(self) -> None:
        while self.daemons:
            await self.daemons.pop().stop()
        gc.unfreeze()

    def rows(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return conn.execute(sql, args).fetchall()

    async def ping(self, path: str) -> int:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{self.port}/ping/{path}") as response:
                return response.status


@pytest.fixture
async def harness(tmp_path):
    made = Harness(tmp_path)
    yield made
    await made.stop()


async def test_it_keeps_unchanged_heartbeats_and_generated_tokens_across_reload_and_restart(harness):
    harness.write("""
        - {key: backup, period: 1h, grace: 5m}
        - {key: sync, period: 5m, token: %s}
    """ % TOKEN)
    daemon = await harness.start()
    generated = daemon.heartbeats.beats["backup"].token
    assert await harness.ping(generated) == 200
    before = daemon.heartbeats.beats["backup"]

    harness.write("""
        - {key: backup, period: 1h, grace: 5m}
        - {key: sync, period: 10m, token: %s}
    """ % TOKEN)
    assert await daemon.reload()
    assert daemon.heartbeats.beats["backup"] is before  # untouched, state and all
    assert daemon.heartbeats.beats["sync"].spec.schedule.period == 600
    assert await harness.ping(generated) == 200

    await harness.stop()
    daemon = await harness.start()
    assert daemon.heartbeats.beats["backup"].token == generated
    assert daemon.heartbeats.beats["backup"].state.state == "up"
    assert await harness.ping(generated) == 200


async def test_it_stops_removed_heartbeats_and_deletes_their_pings(harness):
    harness.write("""
        - {key: backup, period: 1h}
        - {key: sync, period: 5m, token: %s}
    """ % TOKEN)
    daemon = await harness.start()
    assert await harness.ping(TOKEN) == 200
    harness.write("- {key: backup, period: 1h}")
    assert await daemon.reload()
    assert await harness.ping(TOKEN) == 404
    assert "sync" not in daemon.heartbeats.beats
    await daemon.writer.flush()
    assert harness.rows("SELECT count(*) FROM heartbeats WHERE key = 'sync'") == [(0,)]
    assert harness.rows("SELECT count(*) FROM pings") == [(0,)]


async def test_a_changed_schedule_keeps_the_state_and_moves_the_deadline(harness):
    harness.write("- {key: backup, period: 1h, grace: 0s}")
    daemon = await harness.start()
    beat = daemon.heartbeats.beats["backup"]
    assert await harness.ping(beat.token) == 200
    pinged = harness.clock.time()
    harness.write("- {key: backup, period: 2h, grace: 0s}")
    assert await daemon.reload()
    beat = daemon.heartbeats.beats["backup"]
    assert beat.state.state == "up"
    assert beat.state.expected_at == pytest.approx(pinged + 7200, abs=0.01)


async def test_a_token_taken_by_an_api_heartbeat_fails_the_reload_and_changes_nothing(harness):
    harness.write("- {key: backup, period: 1h}")
    daemon = await harness.start()
    admin = (harness.db.parent / "admin-token").read_text().strip()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{harness.port}/api/heartbeats",
                                headers={"Authorization": f"Bearer {admin}"},
                                json={"name": "made over the API", "period_seconds": 3600,
                                      "token": TOKEN}) as response:
            assert response.status == 201
    harness.write("""
        - {key: backup2, period: 1h, token: %s}
    """ % TOKEN)
    assert await daemon.reload() is True  # the rest of the file applies; heartbeats stay as they were
    assert "backup" in daemon.heartbeats.beats and "backup2" not in daemon.heartbeats.beats
    assert daemon.heartbeats.by_token[TOKEN].managed_by == "api"
    assert await harness.ping(daemon.heartbeats.beats["backup"].token) == 200

    await harness.stop()
    with pytest.raises(StartError, match=f"token {TOKEN} already belongs to heartbeat hbt_"):
        await harness.start()


async def test_a_token_freed_by_a_removed_heartbeat_can_go_to_a_new_one_in_the_same_reload(harness):
    harness.write("- {key: old, period: 1h, token: %s}" % TOKEN)
    daemon = await harness.start()
    harness.write("- {key: new, period: 1h, token: %s}" % TOKEN)
    assert await daemon.reload()
    assert set(daemon.heartbeats.beats) == {"new"}
    assert daemon.heartbeats.by_token[TOKEN].spec.key == "new"
    assert await harness.ping(TOKEN) == 200
