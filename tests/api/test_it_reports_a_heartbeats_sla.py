"""GET /api/heartbeats/{id}/sla on a constructed history: availability and downtime exact
from the heartbeat's flips (late counted up, the first hour `new` not counted), the
incidents of the window, the window bounded as a monitor's /sla (to after from, 400 days);
the same figures Better Stack's /availability gives for that window."""

from __future__ import annotations

from fractions import Fraction

from upstatd.clock import FakeClock
from upstatd.store.heartbeats import INSERT_FLIP

DAY, HOUR, MIN = 86400, 3600, 60
NOW = 1_800_000_000 - 1_800_000_000 % DAY + 12 * HOUR  # noon UTC, Unix seconds


async def test_it_counts_a_heartbeats_downtime_and_incidents(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    status, _, beat = await api.request("POST", "/api/heartbeats", json={"name": "backup", "period_seconds": 3600})
    assert status == 201, beat
    rows = await api.daemon.read_db.execute_fetchall("SELECT seq FROM heartbeats WHERE id = ?", (beat["id"],))

    def write(conn):  # made two days ago; 36 minutes down ten hours ago, up since
        conn.execute("UPDATE heartbeats SET created_at = ? WHERE seq = ?", ((NOW - 2 * DAY) * 1000, rows[0][0]))
        for at, before, after, reason in ((NOW - 2 * DAY + HOUR, "new", "up", "ping"),
                                          (NOW - 10 * HOUR, "up", "late", "deadline"),
                                          (NOW - 10 * HOUR + 10 * MIN, "late", "down", "missed"),
                                          (NOW - 10 * HOUR + 46 * MIN, "down", "up", "ping")):
            conn.execute(INSERT_FLIP, (rows[0][0], at * 1000, before, after, reason, None))
    await api.daemon.writer.run(write)
    async with api.session.post(beat["ping_url"]) as answer:  # up now, as the history says
        assert answer.status == 200
    status, _, incident = await api.request("POST", "/api/incidents", json={
        "title": "backup is late", "affected_monitor_ids": [beat["id"]]})
    assert status == 201, incident
    api.clock.advance(10 * MIN)
    status, _, _ = await api.request("POST", f"/api/incidents/{incident['id']}/resolve", json={})
    assert status == 200
    await api.daemon.writer.flush()

    start, end = NOW - 3 * DAY, NOW + 10 * MIN
    status, _, sla = await api.request("GET", f"/api/heartbeats/{beat['id']}/sla?from={start}&to={end}")
    assert status == 200, sla
    counted = 2 * DAY - HOUR + 10 * MIN  # from its first ping to now
    assert sla == {"object": "heartbeat_sla", "heartbeat_id": beat["id"], "from": start, "to": end,
                   "availability": float(Fraction(100 * (counted - 36 * MIN), counted)),
                   "downtime_duration": 36 * MIN, "number_of_incidents": 1, "longest_incident_duration": 600,
                   "average_incident_duration": 600}
    status, _, theirs = await api.request("GET", f"/api/v2/heartbeats/{beat['id']}/availability")
    assert status == 200, theirs
    assert theirs["data"]["attributes"] == {
        "availability": sla["availability"], "total_downtime": sla["downtime_duration"],
        "number_of_incidents": 1, "longest_incident": 600, "average_incident": 600}

    # before it was ever pinged: nothing counted, no availability to claim
    status, _, empty = await api.request("GET", f"/api/heartbeats/{beat['id']}/sla?from={start}&to={start + DAY}")
    assert status == 200 and empty["availability"] is None and empty["downtime_duration"] == 0, empty


async def test_it_refuses_windows_it_cannot_count(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, beat = await api.request("POST", "/api/heartbeats", json={"name": "backup", "period_seconds": 3600})
    for query, expected, param in ((f"from={NOW}&to={NOW - DAY}", 400, "to"),
                                   (f"from={NOW - 401 * DAY}&to={NOW}", 422, "to"), ("since=1", 400, "since")):
        status, _, answer = await api.request("GET", f"/api/heartbeats/{beat['id']}/sla?{query}")
        assert status == expected and answer["error"]["param"] == param, (query, answer)
    status, _, answer = await api.request("GET", "/api/heartbeats/hbt_missing/sla")
    assert status == 404, answer
