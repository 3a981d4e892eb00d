"""A monitor or heartbeat deleted (over the API, or gone from the config file
at a reload) is no longer shown on any status page: its resource rows go in
the delete's own transaction, and the reports that named them no longer do."""

from __future__ import annotations

import sqlite3

from upstatd.clock import FakeClock

NOW = 1_800_000_000
CONFIG = """
    monitors:
      - {key: db, name: Database, type: tcp, url: "tcp://127.0.0.1:9"}
    heartbeats:
      - {key: nightly, period: 1d}
"""


def resource_rows(api) -> list[tuple]:
    with sqlite3.connect(api.db_path) as conn:
        return conn.execute("SELECT kind, subject_id FROM status_page_resources ORDER BY seq").fetchall()


async def test_deleted_subjects_leave_the_pages(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "tcp", "url": "tcp://127.0.0.1:9"})
    shown = {}
    for slug in ("one", "two"):
        _, _, page = await api.request("POST", "/api/status-pages", json={"name": slug, "slug": slug})
        path = f"/api/status-pages/{page['id']}"
        for body in ({"monitor_id": monitor["id"]}, {"monitor_id": "db"}, {"heartbeat_id": "nightly"}):
            status, _, made = await api.request("POST", f"{path}/resources", json=body)
            assert status == 201, made
            shown[(slug, next(iter(body.values())))] = made
    _, _, report = await api.request("POST", f"{path}/reports", json={
        "title": "Slow", "message": "Looking", "affected_resource_ids": [
            shown[("two", monitor["id"])]["id"], shown[("two", "nightly")]["id"]]})

    assert (await api.request("DELETE", f"/api/monitors/{monitor['id']}"))[0] == 204
    assert ("monitor", monitor["id"]) not in resource_rows(api)
    assert len(resource_rows(api)) == 4
    status, _, gone = await api.request("GET", f"{path}/resources/{shown[('two', monitor['id'])]['id']}")
    assert status == 404, gone
    _, _, after = await api.request("GET", f"{path}/reports/{report['id']}")
    assert after["affected_resource_ids"] == [shown[("two", "nightly")]["id"]]

    # gone from the file: the reload's reconcile removes them the same way
    text = api.config_path.read_text()
    api.config_path.write_text(text[:text.index("monitors:")] + "monitors: []\n")
    assert await api.daemon.reload()
    assert resource_rows(api) == []
    _, _, after = await api.request("GET", f"{path}/reports/{report['id']}")
    assert after["affected_resource_ids"] == []
