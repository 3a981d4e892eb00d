"""DELETE /api/status-pages/{id}/reports/{report_id}: the report goes with its
updates (off the page, its feed and the API), a `status_report.deleted` event
carries it as it was, and another page's report is a 404 naming report_id."""

from __future__ import annotations

from upstatd.clock import FakeClock

NOW = 1_800_000_000


async def make(api, slug: str) -> tuple[str, dict]:
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": slug, "slug": slug, "published": True})
    path = f"/api/status-pages/{page['id']}"
    status, _, report = await api.request("POST", f"{path}/reports", json={
        "title": f"Trouble at {slug}", "message": "Looking."})
    assert status == 201, report
    await api.request("POST", f"{path}/reports/{report['id']}/updates", json={"status": "identified",
                                                                            "message": "Found it."})
    return path, report


def count(api, sql: str) -> int:
    import sqlite3
    with sqlite3.connect(api.db_path) as conn:
        return conn.execute(sql).fetchone()[0]


async def test_it_deletes_a_report_with_its_updates(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    path, report = await make(api, "shop")
    _, kept = await make(api, "other")
    async with api.session.get(api.url + "/status/shop") as answer:
        assert "Trouble at shop" in await answer.text()
    before = count(api, "SELECT count(*) FROM status_report_updates")

    status, _, body = await api.request("DELETE", f"{path}/reports/{report['id']}")
    assert (status, body) == (204, None)
    status, _, answer = await api.request("GET", f"{path}/reports/{report['id']}")
    assert status == 404 and answer["error"]["param"] == "report_id"
    assert count(api, "SELECT count(*) FROM status_report_updates") == before - 2
    assert count(api, f"SELECT count(*) FROM status_reports WHERE id = '{kept['id']}'") == 1
    _, _, listed = await api.request("GET", f"{path}/reports")
    assert listed["data"] == []
    for part in ("", "/feed.rss"):
        async with api.session.get(api.url + "/status/shop" + part) as answer:
            assert "Trouble at shop" not in await answer.text(), part

    _, _, events = await api.request("GET", "/api/events?type=status_report.deleted")
    (event,) = events["data"]
    assert event["data"]["object"]["id"] == report["id"] and len(event["data"]["object"]["updates"]) == 2

    status, _, answer = await api.request("DELETE", f"{path}/reports/{report['id']}")
    assert status == 404 and answer["error"]["param"] == "report_id"


async def test_an_older_report_deleted_leaves_the_page_at_once(start_api):
    """Not only the newest: the page's kept copy is made again at once."""
    api = await start_api(clock=FakeClock(wall=NOW))
    path, older = await make(api, "shop")
    api.clock.advance(5)
    await api.request("POST", f"{path}/reports", json={"title": "Newer trouble", "message": "Hm."})
    async with api.session.get(api.url + "/status/shop") as answer:
        assert "Trouble at shop" in await answer.text()
    api.clock.advance(5)
    status, _, _ = await api.request("DELETE", f"{path}/reports/{older['id']}")
    assert status == 204
    async with api.session.get(api.url + "/status/shop") as answer:
        html = await answer.text()
    assert "Trouble at shop" not in html and "Newer trouble" in html


async def test_another_pages_report_is_not_found(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    path, _ = await make(api, "shop")
    _, other = await make(api, "other")
    status, _, answer = await api.request("DELETE", f"{path}/reports/{other['id']}")
    assert status == 404 and answer["error"]["param"] == "report_id" and other["id"] in answer["error"]["message"]
    _, _, listed = await api.request("GET", f"/api/status-pages/{other['status_page_id']}/reports")
    assert [item["id"] for item in listed["data"]] == [other["id"]]
