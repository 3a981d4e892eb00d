"""Check and ping ids in API answers are fixed-width, say nothing about which
row comes next, and stay the same across a restart on the same database (the
installation's id key lives in its `settings` table)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from loopback import closed_port
from upstatd import ids
from upstatd.clock import FakeClock

NOW = 1_800_000_000
ROW_ID = r"{}_[0-9A-Za-z]{{11}}"


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


def check_row(monitor_seq: int, at: int) -> tuple:
    return (monitor_seq, at * 1000, 1, "up", 1000, None, None, None, None, None, None, None, None, None)


async def paused_monitor_with_checks(api, count: int) -> str:
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}"})
    assert status == 201, made
    status, _, _ = await api.request("POST", f"/api/monitors/{made['id']}/pause")  # no probes of its own
    assert status == 200
    rows = await api.daemon.read_db.execute_fetchall("SELECT seq FROM monitors WHERE id = ?", (made["id"],))
    for index in range(count):
        api.daemon.checks.add(check_row(rows[0][0], NOW - 1000 + index))
    await api.daemon.writer.flush()
    return made["id"]


async def heartbeat_with_pings(api, count: int) -> str:
    status, _, made = await api.request("POST", "/api/heartbeats", json={"period_seconds": 3600})
    assert status == 201, made
    for _ in range(count):
        async with api.session.get(made["ping_url"]) as response:
            assert response.status == 200
    return made["id"]


async def listed_ids(api, path: str) -> list[str]:
    status, _, body = await api.request("GET", f"{path}?limit=100")
    assert status == 200, body
    return [item["id"] for item in body["data"]]


def assert_opaque(made: list[str], prefix: str) -> None:
    assert all(re.fullmatch(ROW_ID.format(prefix), value) for value in made), made
    assert len(set(made)) == len(made)
    suffixes = [value[len(prefix) + 1:] for value in reversed(made)]  # oldest first: row order
    # Row order is not id order, and neighbours share almost no characters.
    assert suffixes != sorted(suffixes)
    rising = sum(a < b for a, b in zip(suffixes, suffixes[1:]))
    assert 0.25 < rising / (len(suffixes) - 1) < 0.75
    same = sum(x == y for a, b in zip(suffixes, suffixes[1:]) for x, y in zip(a, b))
    assert same / (len(suffixes) - 1) < 2  # of 11 characters (random: under 1)


async def stop_for_restart(daemon) -> None:
    await daemon.stop()

    async def already_stopped() -> None:
        return None

    daemon.stop = already_stopped  # the fixture's own stop at the end


async def test_check_and_ping_ids_are_fixed_width_and_not_consecutive(api):
    monitor_id = await paused_monitor_with_checks(api, 60)
    heartbeat_id = await heartbeat_with_pings(api, 60)
    checks = await listed_ids(api, f"/api/monitors/{monitor_id}/checks")
    pings = await listed_ids(api, f"/api/heartbeats/{heartbeat_id}/pings")
    assert len(checks) == len(pings) == 60
    assert_opaque(checks, "chk")
    assert_opaque(pings, "png")
    # The same row numbers under another prefix are other ids.
    assert not {value[4:] for value in checks} & {value[4:] for value in pings}


async def test_ids_survive_a_restart_on_the_same_database(api, start_api):
    monitor_id = await paused_monitor_with_checks(api, 5)
    heartbeat_id = await heartbeat_with_pings(api, 5)
    paths = [f"/api/monitors/{monitor_id}/checks", f"/api/heartbeats/{heartbeat_id}/pings"]
    before = [await listed_ids(api, path) for path in paths]
    with sqlite3.connect(api.db_path) as conn:
        (stored,), = conn.execute("SELECT value FROM settings WHERE key = 'id_key'").fetchall()
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert ids._key == bytes.fromhex(stored)  # the daemon's ids are made with it

    await stop_for_restart(api.daemon)
    ids.use_key(bytes(32))  # whatever the process held: the restarted daemon reads its own key
    again = await start_api(f'storage: {{path: "{api.db_path}"}}', clock=FakeClock(wall=NOW))
    assert [await listed_ids(again, path) for path in paths] == before
    # and a cursor handed out before the restart still pages
    status, _, page = await again.request("GET", f"{paths[0]}?starting_after={before[0][1]}")
    assert status == 200, page
    assert [item["id"] for item in page["data"]] == before[0][2:]

    # Another installation numbers the same rows differently.
    other = await start_api(clock=FakeClock(wall=NOW))
    other_monitor = await paused_monitor_with_checks(other, 5)
    assert not set(await listed_ids(other, f"/api/monitors/{other_monitor}/checks")) & set(before[0])
