"""A group shown on a status page by the running daemon: its state is the worst
of its members' public states, its daily bars the mean of its members' uptime
that day (pages/group_bars.py), in the HTML and summary.json; a member that
leaves the group changes the page at once (the cache's version follows the
membership); deleting the group takes it off the page."""

from __future__ import annotations

import datetime

import pytest

from loopback import closed_port
from upstatd.clock import FakeClock
from upstatd.store.monitors import INSERT_STATE_CHANGE

NOW = 1_800_000_000
DAY = 86400
HOUR = 3600
# the whole UTC day two days before NOW
DAY_START = (NOW // DAY - 2) * DAY
DATE = datetime.datetime.fromtimestamp(DAY_START, datetime.timezone.utc).date().isoformat()


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def member(api, name: str, group_id: str, changes: list[tuple[int, str, str]], state: str) -> dict:
    """A paused API monitor (nothing probes it) given a history and a current state."""
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "name": name, "group_id": group_id})
    assert status == 201, made
    await api.request("POST", f"/api/monitors/{made['id']}/pause")
    [(seq,)] = await api.daemon.read_db.execute_fetchall("SELECT seq FROM monitors WHERE id = ?", (made["id"],))

    def history(conn):
        conn.execute("UPDATE monitors SET created_at = ?, status = 'active', current_state = ?, state_since = ? "
                     "WHERE seq = ?", ((NOW - 10 * DAY) * 1000, state, changes[-1][0] * 1000, seq))
        conn.execute("DELETE FROM monitor_pauses WHERE monitor_seq = ?", (seq,))
        for at, before, after in changes:
            conn.execute(INSERT_STATE_CHANGE, (seq, at * 1000, before, after, None, None, None))
    await api.daemon.writer.run(history)
    return made


async def summary(api) -> dict:
    async with api.session.get(api.url + "/status/shop/summary.json") as answer:
        assert answer.status == 200
        return await answer.json()


async def test_a_group_shows_its_worst_member_and_their_mean_uptime(api):
    _, _, group = await api.request("POST", "/api/monitor-groups", json={"name": "Web servers"})
    steady = await member(api, "steady", group["id"], [(NOW - 10 * DAY, "pending", "up")], "up")
    flaky = await member(api, "flaky", group["id"], [
        (NOW - 10 * DAY, "pending", "up"), (DAY_START + 6 * HOUR, "up", "down"), (DAY_START + 18 * HOUR, "down", "up"),
        (NOW - 600, "up", "down")], "down")
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Shop", "slug": "shop",
                                                                      "published": True})
    path = f"/api/status-pages/{page['id']}"
    status, _, shown = await api.request("POST", f"{path}/resources", json={"group_id": group["id"],
                                                                            "public_name": "Web"})
    assert status == 201, shown
    assert (shown["kind"], shown["group_id"], shown["monitor_id"]) == ("group", group["id"], None)
    status, _, refused = await api.request("POST", f"{path}/resources", json={"group_id": group["id"]})
    assert status == 409 and refused["error"]["param"] == "group_id"

    found = await summary(api)
    [resource] = found["sections"][0]["resources"]
    assert (resource["name"], resource["state"]) == ("Web", "down")
    assert found["status"]["indicator"] == "major_outage"
    assert resource["uptime_90d"] == pytest.approx((100 + (10 * DAY - 12 * HOUR - 600) / (10 * DAY) * 100) / 2)
    async with api.session.get(api.url + "/status/shop") as answer:
        html = await answer.text()
    assert f"{DATE} · 75.00% uptime" in html  # one member up all day, one half of it

    status, _, _ = await api.request("PATCH", f"/api/monitors/{flaky['id']}", json={"group_id": None})
    assert status == 200
    found = await summary(api)  # within the cache's 30 s: the membership changed, so the page did
    [resource] = found["sections"][0]["resources"]
    assert (resource["state"], resource["uptime_90d"]) == ("operational", 100.0)

    await api.request("PATCH", f"/api/monitors/{steady['id']}", json={"group_id": None})
    status, _, _ = await api.request("DELETE", f"/api/monitor-groups/{group['id']}")
    assert status == 204
    found = await summary(api)
    assert found["sections"] == []
    _, _, listed = await api.request("GET", f"{path}/resources")
    assert listed["data"] == []


async def test_a_window_on_the_group_covers_its_line_and_its_members(api):
    _, _, group = await api.request("POST", "/api/heartbeat-groups", json={"name": "Jobs"})
    status, _, beat = await api.request("POST", "/api/heartbeats", json={
        "name": "backup", "period_seconds": 3600, "group_id": group["id"]})
    assert status == 201, beat
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Shop", "slug": "shop",
                                                                      "published": True})
    path = f"/api/status-pages/{page['id']}"
    await api.request("POST", f"{path}/resources", json={"group_id": group["id"], "public_name": "Jobs"})
    await api.request("POST", f"{path}/resources", json={"heartbeat_id": beat["id"], "public_name": "Backup"})
    status, _, window = await api.request("POST", "/api/maintenance", json={
        "title": "Backup server move", "starts_at": NOW - HOUR, "ends_at": NOW + HOUR, "group_ids": [group["id"]]})
    assert status == 201, window

    found = await summary(api)
    states = {r["name"]: r["state"] for r in found["sections"][0]["resources"]}
    assert states == {"Jobs": "maintenance", "Backup": "maintenance"}
    [card] = found["maintenance"]
    assert (card["id"], card["status"], card["affected"]) == (window["id"], "in_progress", ["Jobs", "Backup"])
