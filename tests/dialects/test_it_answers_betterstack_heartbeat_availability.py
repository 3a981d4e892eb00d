"""Better Stack's heartbeat availability summary, `GET /api/v2/heartbeats/{id}/availability
?from=&to=`: the documented answer (`type: heartbeat_availability`, five attributes), its
figures from upstatd's heartbeat history (flips and pauses, late counted up, as the
heartbeats list's uptime) and its incidents, and bad dates answered as Better Stack does."""

from __future__ import annotations

from fractions import Fraction

from upstatd.clock import FakeClock
from upstatd.store.heartbeats import INSERT_FLIP

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
MIN, HOUR, DAY = 60, 3600, 86400


def pct(up_minutes: int, counted_minutes: int) -> float:
    return float(Fraction(100 * up_minutes, counted_minutes))


async def test_the_summary_counts_the_heartbeats_downtime_and_incidents(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    status, _, made = await api.request("POST", "/api/v2/heartbeats", json={
        "name": "backup", "period": 3600, "grace": 600})
    assert status == 201, made
    heartbeat_id = made["data"]["id"]
    rows = await api.daemon.read_db.execute_fetchall("SELECT seq FROM heartbeats WHERE id = ?", (heartbeat_id,))
    seq = rows[0][0]

    def write(conn):  # made two days ago; 36 minutes down ten hours ago
        conn.execute("UPDATE heartbeats SET created_at = ? WHERE seq = ?", ((NOW - 2 * DAY) * 1000, seq))
        for at, before, after, reason in (
                (NOW - 2 * DAY + HOUR, "new", "up", "ping"),
                (NOW - 10 * HOUR, "up", "late", "deadline"),
                (NOW - 10 * HOUR + 10 * MIN, "late", "down", "missed"),
                (NOW - 10 * HOUR + 46 * MIN, "down", "up", "ping")):
            conn.execute(INSERT_FLIP, (seq, at * 1000, before, after, reason, None))
    await api.daemon.writer.run(write)
    async with api.session.post(made["data"]["attributes"]["url"]) as answer:
        assert answer.status == 200
    status, _, incident = await api.request("POST", "/api/incidents", json={
        "title": "backup is late", "affected_monitor_ids": [heartbeat_id]})
    assert status == 201, incident
    api.clock.advance(10 * MIN)
    status, _, _ = await api.request("POST", f"/api/incidents/{incident['id']}/resolve", json={})
    assert status == 200
    await api.daemon.writer.flush()

    status, _, answer = await api.request(
        "GET", f"/api/v2/heartbeats/{heartbeat_id}/availability?from=2027-01-13&to=2027-01-15")
    assert status == 200, answer
    assert answer == {"data": {"id": heartbeat_id, "type": "heartbeat_availability", "attributes": {
        "availability": pct(47 * 60 + 10 - 36, 47 * 60 + 10),  # the first hour (new) is not counted
        "total_downtime": 36 * 60, "number_of_incidents": 1, "longest_incident": 600, "average_incident": 600}}}
    status, _, since_made = await api.request("GET", f"/api/v2/heartbeats/{heartbeat_id}/availability")
    assert status == 200 and since_made == answer, since_made

    # the day it was made (it was down on the next): all up, and no incident
    status, _, answer = await api.request(
        "GET", f"/api/v2/heartbeats/{heartbeat_id}/availability?from=2027-01-13&to=2027-01-13")
    assert status == 200, answer
    assert answer["data"]["attributes"] == {"availability": 100.0, "total_downtime": 0, "number_of_incidents": 0,
                                            "longest_incident": 0, "average_incident": 0}


async def test_bad_dates_and_unknown_heartbeats_are_refused_in_better_stacks_envelope(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, made = await api.request("POST", "/api/v2/heartbeats", json={"name": "backup", "period": 3600})
    heartbeat_id = made["data"]["id"]
    for query in ("from=yesterday", "from=2027-02-01", "from=2027-01-15&to=2027-01-10",
                  "from=2020-01-01&to=2027-01-10"):
        status, _, answer = await api.request("GET", f"/api/v2/heartbeats/{heartbeat_id}/availability?{query}")
        assert status == 400 and answer["errors"].startswith("The date range is invalid"), (query, answer)
    status, _, answer = await api.request("GET", "/api/v2/heartbeats/hbt_missing/availability")
    assert status == 404 and isinstance(answer["errors"], str), answer
    status, _, answer = await api.request("GET", f"/api/v2/heartbeats/{heartbeat_id}/availability?since=1")
    assert status == 422 and "since" in answer["errors"], answer
    reader = await api.make_token("monitors:read")
    status, _, answer = await api.request("GET", f"/api/v2/heartbeats/{heartbeat_id}/availability", token=reader)
    assert status == 403 and "heartbeats:read" in answer["errors"], answer
