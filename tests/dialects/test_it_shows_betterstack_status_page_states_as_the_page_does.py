"""A Better Stack status page's aggregate_state and each resource's status, availability
and status_history are what upstatd's public page shows: a monitor down for the last
10 minutes (after 30 days up) is `downtime` here and a major outage on /status/<slug>."""

from __future__ import annotations

from loopback import closed_port
from upstatd.clock import FakeClock
from upstatd.store.monitors import INSERT_STATE_CHANGE

NOW = 1_800_000_000   # 2027-01-15T08:00:00Z
DAY = 86400


async def test_a_down_monitor_is_downtime_as_the_public_page_says(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "name": "Shop"})
    await api.request("POST", f"/api/monitors/{monitor['id']}/pause")  # no probe: the history below is all
    rows = await api.daemon.read_db.execute_fetchall("SELECT seq FROM monitors WHERE id = ?", (monitor["id"],))
    seq = rows[0][0]

    def history(conn):  # up for 30 days, down for the last 10 minutes
        conn.execute("UPDATE monitors SET created_at = ?, status = 'active', current_state = 'down', "
                     "state_since = ? WHERE seq = ?", ((NOW - 30 * DAY) * 1000, (NOW - 600) * 1000, seq))
        conn.execute("DELETE FROM monitor_pauses WHERE monitor_seq = ?", (seq,))
        for at, before, after in ((NOW - 30 * DAY, "pending", "up"), (NOW - 600, "up", "down")):
            conn.execute(INSERT_STATE_CHANGE, (seq, at * 1000, before, after, None, None, None))
    await api.daemon.writer.run(history)

    _, _, page = await api.request("POST", "/api/v2/status-pages", json={"company_name": "Shop", "subdomain": "shop"})
    page_id = page["data"]["id"]
    status, _, resource = await api.request("POST", f"/api/v2/status-pages/{page_id}/resources", json={
        "resource_id": monitor["id"], "resource_type": "Monitor", "widget_type": "history"})
    assert status == 201, resource
    shown = resource["data"]["attributes"]
    assert shown["status"] == "downtime"
    assert shown["availability"] == round((30 * DAY - 600) / (30 * DAY), 6)
    today, yesterday = shown["status_history"][-1], shown["status_history"][-2]
    assert today == {"day": "2027-01-15", "status": "downtime", "downtime_duration": 600, "maintenance_duration": 0}
    assert yesterday == {"day": "2027-01-14", "status": "operational", "downtime_duration": 0,
                         "maintenance_duration": 0}
    assert shown["status_history"][0]["status"] == "not_monitored"  # 90 days ago: before it was made

    _, _, read = await api.request("GET", f"/api/v2/status-pages/{page_id}")
    assert read["data"]["attributes"]["aggregate_state"] == "downtime"
    async with api.session.get(api.url + "/status/shop/summary.json") as answer:
        summary = await answer.json()
    assert summary["status"]["indicator"] == "major_outage"  # the public page's words for it

    await api.request("PATCH", f"/api/v2/status-pages/{page_id}/resources/{resource['data']['id']}",
                      json={"widget_type": "plain"})
    _, _, listed = await api.request("GET", f"/api/v2/status-pages/{page_id}/resources")
    (item,) = listed["data"]
    assert (item["attributes"]["status"], item["attributes"]["status_history"]) == ("downtime", [])
