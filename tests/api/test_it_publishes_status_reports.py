"""Status reports over the API: a report is made with its first update, gets
updates appended over time, and is resolved when its last update is (and
active again if one after says otherwise); its incident and affected
resources must exist (on the page); `status_report.created`/`.updated`
events carry it. The lists filter active and resolved reports."""

from __future__ import annotations

from upstatd.clock import FakeClock

NOW = 1_800_000_000


async def setup(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Acme", "slug": "acme"})
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "tcp", "url": "tcp://127.0.0.1:9"})
    path = f"/api/status-pages/{page['id']}"
    _, _, shown = await api.request("POST", f"{path}/resources", json={"monitor_id": monitor["id"]})
    return api, page, shown, path


async def test_it_appends_updates_until_resolved(start_api):
    api, page, shown, path = await setup(start_api)
    _, _, incident = await api.request("POST", "/api/incidents", json={"title": "Checkout errors"})
    status, _, report = await api.request("POST", f"{path}/reports", json={
        "title": "Checkout is failing", "message": "We are looking into it.", "incident_id": incident["id"],
        "affected_resource_ids": [shown["id"], shown["id"]]})
    assert status == 201, report
    assert report["id"].startswith("rpt_") and report["object"] == "status_report"
    assert (report["status"], report["status_page_id"], report["incident_id"], report["affected_resource_ids"],
            report["resolved_at"]) == ("investigating", page["id"], incident["id"], [shown["id"]], None)
    (first,) = report["updates"]
    assert first["id"].startswith("rpu_") and (first["status"], first["message"], first["created_at"]) == (
        "investigating", "We are looking into it.", NOW)

    steps = [("identified", "A bad deploy."), ("monitoring", "Rolled back."), ("resolved", "All good.")]
    for minutes, (state, message) in enumerate(steps, 1):
        api.clock.advance(60)
        status, _, report = await api.request("POST", f"{path}/reports/{report['id']}/updates", json={
            "status": state, "message": message})
        assert status == 201, report
        assert report["status"] == state and report["updated_at"] == NOW + 60 * minutes
    assert [update["status"] for update in report["updates"]] == ["investigating", "identified", "monitoring",
                                                                  "resolved"]
    assert report["resolved_at"] == NOW + 180

    _, _, resolved = await api.request("GET", f"{path}/reports?active=false")
    _, _, active = await api.request("GET", f"{path}/reports?active=true")
    assert [item["id"] for item in resolved["data"]] == [report["id"]] and active["data"] == []

    # an update after the resolution makes it active again
    status, _, report = await api.request("POST", f"{path}/reports/{report['id']}/updates", json={
        "status": "monitoring", "message": "Errors again, watching."})
    assert (report["status"], report["resolved_at"]) == ("monitoring", None)
    _, _, listed = await api.request("GET", f"{path}/reports?status=monitoring")
    assert [item["id"] for item in listed["data"]] == [report["id"]]

    status, _, changed = await api.request("PATCH", f"{path}/reports/{report['id']}", json={
        "title": "Checkout was failing", "incident_id": None, "affected_resource_ids": []})
    assert status == 200, changed
    assert (changed["title"], changed["incident_id"], changed["affected_resource_ids"]) == (
        "Checkout was failing", None, [])
    status, _, got = await api.request("GET", f"{path}/reports/{report['id']}")
    assert status == 200 and got == changed

    _, _, events = await api.request("GET", "/api/events?type=status_report.*&limit=100")
    assert [event["type"] for event in reversed(events["data"])] == [
        "status_report.created", *["status_report.updated"] * 5]
    assert [event["data"].get("reason") for event in reversed(events["data"])][1:5] == [
        "identified", "monitoring", "resolved", "monitoring"]
    assert events["data"][0]["data"]["object"] == changed


async def test_it_refuses_what_does_not_exist(start_api):
    api, page, shown, path = await setup(start_api)
    _, _, other = await api.request("POST", "/api/status-pages", json={"name": "Other", "slug": "other"})
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Api", "type": "tcp", "url": "tcp://127.0.0.1:9"})
    _, _, elsewhere = await api.request("POST", f"/api/status-pages/{other['id']}/resources", json={
        "monitor_id": monitor["id"]})
    cases = [
        ({"incident_id": "inc_nothing"}, 422, "incident_id"),
        ({"affected_resource_ids": [shown["id"], elsewhere["id"]]}, 422, "affected_resource_ids.1"),
        ({"status": "fixed"}, 400, "status"),
        ({"title": ""}, 422, "title"),
        ({"message": None}, 400, "message"),
    ]
    for given, status, param in cases:
        answer_status, _, answer = await api.request("POST", f"{path}/reports", json={
            "title": "T", "message": "M", **given})
        assert (answer_status, answer["error"]["param"]) == (status, param), (given, answer)
    status, _, answer = await api.request("POST", f"{path}/reports/rpt_nothing/updates", json={
        "status": "resolved", "message": "done"})
    assert (status, answer["error"]["param"]) == (404, "report_id")
    status, _, answer = await api.request("POST", f"/api/status-pages/stp_nothing/reports", json={
        "title": "T", "message": "M"})
    assert (status, answer["error"]["param"]) == (404, "id")
