"""GET /api/monitors and /api/heartbeats answer each item's `since` and `stats`:
uptime over 24 h / 7 d / 30 d equal to what /status computes (exact, from
state changes and pauses), and for monitors the latency over the 24 hours
before the last roll-up, from the table the roll-up writes. Events and the
answers of changes carry `stats: null`."""

from __future__ import annotations

import pytest

from historykit import DAY, HOUR, MIN, NOW, check_row, make_monitor as made_monitor, pct
from upstatd.clock import FakeClock
from upstatd.monitors import histogram
from upstatd.monitors.uptime import percentile
from upstatd.store import heartbeats as heartbeat_store
from upstatd.store.heartbeats import INSERT_FLIP
from upstatd.store.monitors import INSERT_STATE_CHANGE


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def make_monitor(api, name: str) -> tuple[str, int]:
    """A paused monitor (no probes of its own) whose history the test writes."""
    monitor_id, seq = await made_monitor(api, name=name)
    _, _, paused = await api.request("POST", f"/api/monitors/{monitor_id}/pause")
    _, _, fetched = await api.request("GET", f"/api/monitors/{monitor_id}")
    assert paused["stats"] is None and fetched["stats"] is None  # a change's answer (as the event) and a retrieve
    return monitor_id, seq


async def listed(api, path: str) -> dict[str, dict]:
    status, _, page = await api.request("GET", path)
    assert status == 200, page
    return {item["name"]: item for item in page["data"]}


async def test_it_answers_each_monitors_uptime_as_its_status_does(api):
    flapping, seq = await make_monitor(api, "flapping")
    fresh, _ = await make_monitor(api, "fresh")

    def write(conn):
        conn.execute("UPDATE monitors SET created_at = ?, current_state = 'up', state_since = ? WHERE seq = ?",
                     ((NOW - 40 * DAY) * 1000, (NOW - 10 * HOUR + 36 * MIN) * 1000, seq))
        # years of flapping before the window: the list reads only the window's changes
        at = NOW - 40 * DAY + MIN
        for index in range(2000):
            conn.execute(INSERT_STATE_CHANGE, (seq, (at + index * 60) * 1000, "pending" if index == 0 else
                                               ("up", "down")[index % 2], ("down", "up")[index % 2],
                                               None, None, None))
        for at, before, after in ((NOW - 10 * HOUR, "up", "down"), (NOW - 10 * HOUR + 36 * MIN, "down", "up")):
            conn.execute(INSERT_STATE_CHANGE, (seq, at * 1000, before, after, None, None, None))
        conn.execute("DELETE FROM monitor_pauses WHERE monitor_seq = ?", (seq,))
        conn.execute("INSERT INTO monitor_pauses (monitor_seq, started_at, ended_at) VALUES (?, ?, ?)",
                     (seq, (NOW - 5 * DAY) * 1000, (NOW - 4 * DAY) * 1000))
        conn.execute("UPDATE monitors SET status = 'active', paused_at = NULL WHERE seq = ?", (seq,))
    await api.daemon.writer.run(write)

    items = await listed(api, "/api/monitors")
    item = items["flapping"]
    assert (item["id"], item["current_state"], item["since"]) == (flapping, "up", NOW - 10 * HOUR + 36 * MIN)
    assert item["stats"]["uptime_24h"] == 97.5
    assert item["stats"]["uptime_7d"] == pct(7 * 1440 - 1440 - 36, 7 * 1440 - 1440)
    _, _, status = await api.request("GET", f"/api/monitors/{flapping}/status")
    assert {name: item["stats"][name] for name in ("uptime_24h", "uptime_7d", "uptime_30d")} == {
        name: status[name] for name in ("uptime_24h", "uptime_7d", "uptime_30d")}
    assert items["fresh"]["stats"] == {"uptime_24h": None, "uptime_7d": None, "uptime_30d": None,
                                       "latency_24h": {"p50_ms": None, "p95_ms": None, "checks": 0}}
    assert items["fresh"]["id"] == fresh

    _, _, retrieved = await api.request("GET", f"/api/monitors/{flapping}")
    assert retrieved["stats"] is None and retrieved["since"] == item["since"]

    # Down now (its row says so, as the writer's flip does), 36 minutes later: the list's
    # kept history is read again
    def flip(conn):
        conn.execute(INSERT_STATE_CHANGE, (seq, NOW * 1000, "up", "down", None, None, None))
        conn.execute("UPDATE monitors SET current_state = 'down', state_since = ? WHERE seq = ?", (NOW * 1000, seq))
    await api.daemon.writer.run(flip)
    api.clock.advance(36 * MIN)
    items = await listed(api, "/api/monitors")
    assert (items["flapping"]["current_state"], items["flapping"]["stats"]["uptime_24h"]) == ("down", 95.0)


async def test_it_answers_the_latency_of_the_24_hours_before_the_last_roll_up(api):
    monitor_id, seq = await make_monitor(api, "web")
    other_id, other = await make_monitor(api, "failing")
    latencies = [37.0, 5.0, 99.0, 64.0, 12.0, 81.0, 50.0, 23.0, 95.0, 70.0]
    values = []
    for index in range(300):  # good checks over the last 20 hours
        latency = latencies[index % 10] + index / 100
        values.append(latency)
        api.daemon.checks.add(check_row(seq, NOW - 20 * HOUR + index * 240, True, latency))
    api.daemon.checks.add(check_row(seq, NOW - 30 * HOUR, True, 5000.0))   # before the 24 hours: left out
    api.daemon.checks.add(check_row(seq, NOW - 3 * HOUR, False, 9000.0, error_kind="timeout"))   # bad: left out
    api.daemon.checks.add(check_row(other, NOW - 2 * HOUR, False, 9000.0, error_kind="timeout"))
    await api.daemon.writer.flush()

    before = await listed(api, "/api/monitors")
    assert before["web"]["stats"]["latency_24h"] == {"p50_ms": None, "p95_ms": None, "checks": 0}  # not rolled up

    api.clock.advance(5 * MIN)  # the last hour is complete two minutes after it ends
    batches, _ = await api.daemon.roll_up_once()
    assert batches > 1  # a catch-up in several batches: the figure is made once, at the last
    items = await listed(api, "/api/monitors")
    values.sort()
    exact_p50, exact_p95 = percentile(values, 50), percentile(values, 95)
    latency = items["web"]["stats"]["latency_24h"]
    assert latency["checks"] == 300
    merged = histogram.of(values)
    assert (latency["p50_ms"], latency["p95_ms"]) == (
        histogram.percentile(merged, 50, values[0], values[-1]), histogram.percentile(merged, 95, values[0], values[-1]))
    assert exact_p50 <= latency["p50_ms"] <= exact_p50 * 1.091 and exact_p95 <= latency["p95_ms"] <= exact_p95 * 1.091
    _, _, status = await api.request("GET", f"/api/monitors/{monitor_id}/status")
    assert status["latency_24h"] == latency  # no check since the roll-up: the same figure
    assert items["failing"]["stats"]["latency_24h"] == {"p50_ms": None, "p95_ms": None, "checks": 0}

    # A day later with no check, the hours have left the window at the next roll-up.
    api.clock.advance(DAY)
    await api.daemon.roll_up_once()
    items = await listed(api, "/api/monitors")
    assert items["web"]["stats"]["latency_24h"] == {"p50_ms": None, "p95_ms": None, "checks": 0}

    status, _, _ = await api.request("DELETE", f"/api/monitors/{other_id}")
    assert status == 204
    gone = await api.daemon.read_db.execute_fetchall("SELECT count(*) FROM monitor_latency WHERE monitor_seq = ?",
                                                     (other,))
    assert gone[0][0] == 0


async def test_it_answers_each_heartbeats_uptime_with_late_counted_up_and_pauses_left_out(api):
    status, _, made = await api.request("POST", "/api/heartbeats", json={
        "name": "backup", "period_seconds": 3600, "grace_seconds": 600})
    assert status == 201, made
    assert (made["since"], made["stats"]) == (NOW, None)
    rows = await api.daemon.read_db.execute_fetchall("SELECT seq FROM heartbeats WHERE id = ?", (made["id"],))
    seq = rows[0][0]

    def write(conn):
        conn.execute("UPDATE heartbeats SET created_at = ? WHERE seq = ?", ((NOW - 2 * DAY) * 1000, seq))
        for at, before, after, reason in (
                (NOW - 2 * DAY + HOUR, "new", "up", "ping"),
                (NOW - 10 * HOUR, "up", "late", "deadline"),          # late: still counted up
                (NOW - 10 * HOUR + 10 * MIN, "late", "down", "missed"),
                (NOW - 10 * HOUR + 46 * MIN, "down", "up", "ping")):  # 36 minutes down
            conn.execute(INSERT_FLIP, (seq, at * 1000, before, after, reason, None))
    await api.daemon.writer.run(write)
    async with api.session.post(made["ping_url"]) as answer:  # up now, as the running heartbeat knows
        assert answer.status == 200
    await api.daemon.writer.flush()

    items = await listed(api, "/api/heartbeats")
    assert items["backup"]["stats"] == {
        "uptime_24h": 97.5, "uptime_7d": pct(47 * 60 - 36, 47 * 60), "uptime_30d": pct(47 * 60 - 36, 47 * 60)}

    # Paused over the API for two hours, then resumed: those hours count neither way.
    status, _, _ = await api.request("POST", f"/api/heartbeats/{made['id']}/pause")
    assert status == 200
    api.clock.advance(2 * HOUR)
    status, _, _ = await api.request("POST", f"/api/heartbeats/{made['id']}/resume")
    assert status == 200
    await api.daemon.writer.flush()
    items = await listed(api, "/api/heartbeats")
    assert items["backup"]["stats"]["uptime_24h"] == pct(22 * 60 - 36, 22 * 60)
    # resumed as new (a flip of its own): the hour after it counts neither way
    api.clock.advance(HOUR)
    items = await listed(api, "/api/heartbeats")
    assert items["backup"]["stats"]["uptime_24h"] == pct(21 * 60 - 36, 21 * 60)
    # `upstatd status` reads the same figure
    table = await api.daemon.read_db.call(lambda conn: heartbeat_store.read_status(conn, (NOW + 3 * HOUR) * 1000))
    assert [row["uptime_24h"] for row in table] == [round(pct(21 * 60 - 36, 21 * 60), 3)]
    spans = await api.daemon.read_db.execute_fetchall(
        "SELECT started_at, ended_at FROM heartbeat_pauses WHERE heartbeat_seq = ?", (seq,))
    assert [tuple(span) for span in spans] == [(NOW * 1000, (NOW + 2 * HOUR) * 1000)]
