"""GET /api/monitors/{id}/sla on a constructed history: availability and
downtime exact from the state changes (paused time left out), the incidents
that overlap the window with the longest and the average, the average
response time of the good checks, the same per UTC day; the same answer
once the checks are rolled up; windows checked (at most 400 days, to after from)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from loopback import closed_port
from upstatd.clock import FakeClock
from upstatd.store.monitors import INSERT_STATE_CHANGE

DAY = 86400
NOW = 1_800_000_000 - 1_800_000_000 % DAY + 12 * 3600  # noon UTC, Unix seconds
MIDNIGHT = NOW - 12 * 3600


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def made(api) -> tuple[str, int]:
    status, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}"})
    assert status == 201, monitor
    await api.request("POST", f"/api/monitors/{monitor['id']}/pause")  # no probes of its own
    rows = await api.daemon.read_db.execute_fetchall("SELECT seq FROM monitors WHERE id = ?", (monitor["id"],))
    return monitor["id"], rows[0][0]


async def test_it_reports_availability_incidents_and_response_time_exactly(api):
    monitor_id, seq = await made(api)
    start = MIDNIGHT - 2 * DAY  # three UTC days: two whole ones and this morning

    def write(conn):
        conn.execute("DELETE FROM monitor_pauses WHERE monitor_seq = ?", (seq,))
        conn.execute("UPDATE monitors SET created_at = ? WHERE seq = ?", (start * 1000, seq))
        for at, before, after in ((start, "pending", "up"), (start + 3600, "up", "down"),
                                  (start + 3600 + 1800, "down", "up"), (MIDNIGHT + 600, "up", "down"),
                                  (MIDNIGHT + 900, "down", "up")):
            conn.execute(INSERT_STATE_CHANGE, (seq, at * 1000, before, after, None, None, None))
        conn.execute("INSERT INTO monitor_pauses (monitor_seq, started_at, ended_at) VALUES (?, ?, ?)",
                     (seq, (start + DAY) * 1000, (start + DAY + 6 * 3600) * 1000))  # 6 h paused, day 2
        for started, resolved in ((start + 3600, start + 5400), (MIDNIGHT + 600, MIDNIGHT + 900)):
            conn.execute("INSERT INTO incidents (id, status, severity, type, source, title, started_at, "
                         "resolved_at, created_at, updated_at) VALUES (?, 'resolved', 'critical', 'timeout', "
                         "'system', 't', ?, ?, ?, ?)", (f"inc_{started}", started * 1000, resolved * 1000,
                                                        started * 1000, resolved * 1000))
            conn.execute("INSERT INTO incident_monitors (incident_seq, monitor_id) SELECT seq, ? FROM incidents "
                         "WHERE id = ?", (monitor_id, f"inc_{started}"))
        for minute in range(0, (NOW - start) // 60, 10):  # a check every 10 minutes: 50 ms good, or down
            at = start + minute * 60
            down = start + 3600 <= at < start + 5400 or MIDNIGHT + 600 <= at < MIDNIGHT + 900
            conn.execute("INSERT INTO checks (monitor_seq, created_at, ok, state, latency_us) VALUES (?, ?, ?, ?, ?)",
                         (seq, at * 1000, int(not down), "down" if down else "up", 10_000_000 if down else 50_000))
    await api.daemon.writer.run(write)

    async def sla(query: str = "") -> dict:
        status, _, body = await api.request("GET", f"/api/monitors/{monitor_id}/sla{query}")
        assert status == 200, body
        return body

    body = await sla(f"?from={start}&to={NOW}")
    counted = (NOW - start) - 6 * 3600
    down = 1800 + 300
    assert body["object"] == "monitor_sla" and (body["from"], body["to"]) == (start, NOW)
    assert body["availability"] == float(Fraction(100 * (counted - down), counted))
    assert body["downtime_duration"] == down
    assert (body["number_of_incidents"], body["longest_incident_duration"], body["average_incident_duration"]) == \
        (2, 1800, 1050)
    checks = (NOW - start) // 600
    assert (body["checks"], body["failures"]) == (checks, 3 + 1) and body["average_response_time_ms"] == 50.0
    assert [day["date"] for day in body["days"]] == ["2027-01-13", "2027-01-14", "2027-01-15"]
    first, second, today = body["days"]
    assert first["availability"] == float(Fraction(100 * (DAY - 1800), DAY)) and first["downtime_duration"] == 1800
    assert second["availability"] == 100.0 and (first["checks"], second["checks"], today["checks"]) == (144, 144, 72)
    assert today["downtime_duration"] == 300 and today["failures"] == 1

    # rolled up (raw checks of the whole days gone): the same answer
    api.clock.advance(0)
    hours, _ = await api.daemon.roll_up_once()
    assert hours >= 1
    await api.daemon.writer.run(lambda conn: conn.execute("DELETE FROM checks WHERE created_at < ?",
                                                          (MIDNIGHT * 1000,)))
    assert await sla(f"?from={start}&to={NOW}") == body
    assert (await sla())["from"] == NOW - 30 * DAY  # default: the last 30 days (clipped to its life)


@pytest.mark.parametrize("query, status, param", [
    (f"?from={NOW - 401 * DAY}&to={NOW}", 422, "to"),
    (f"?from={NOW}&to={NOW - 1}", 400, "to"),
    ("?since=1", 400, "since"),
])
async def test_a_window_is_checked(api, query, status, param):
    monitor_id, _ = await made(api)
    answer, _, body = await api.request("GET", f"/api/monitors/{monitor_id}/sla{query}")
    assert answer == status, body
    assert body["error"]["param"] == param
