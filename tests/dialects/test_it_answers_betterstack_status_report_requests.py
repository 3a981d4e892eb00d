"""Better Stack's status reports (/api/v2/status-pages/{id}/status-reports) and their
status updates: upstatd's status reports and their updates (the same report
/api/status-pages/{id}/reports shows), resolved when an update resolves every affected
resource; maintenance reports refused naming report_type."""

from __future__ import annotations


async def _page_with_a_resource(api) -> tuple[str, str]:
    _, _, page = await api.request("POST", "/api/v2/status-pages", json={"company_name": "Shop", "subdomain": "shop"})
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "http", "url": "http://127.0.0.1:9/"})
    page_id = page["data"]["id"]
    _, _, resource = await api.request("POST", f"/api/v2/status-pages/{page_id}/resources", json={
        "resource_id": monitor["id"], "resource_type": "Monitor"})
    return page_id, resource["data"]["id"]


async def test_a_report_is_published_updated_resolved_and_deleted(api):
    page_id, resource_id = await _page_with_a_resource(api)
    reports = f"/api/v2/status-pages/{page_id}/status-reports"
    status, _, made = await api.request("POST", reports, json={
        "title": "Checkout fails", "message": "We are investigating", "report_type": "manual",
        "affected_resources": [{"status_page_resource_id": resource_id, "status": "downtime"}],
        "notify_subscribers": True})
    assert status == 201, made
    report_id = made["data"]["id"]
    attributes = made["data"]["attributes"]
    assert (made["data"]["type"], attributes["title"], attributes["report_type"], attributes["ends_at"],
            attributes["status_page_id"], attributes["affected_resources"], attributes["aggregate_state"]) == (
        "status_report", "Checkout fails", "manual", None, page_id,
        [{"status_page_resource_id": resource_id, "status": "downtime"}], "Downtime")
    (first,) = made["included"]
    assert made["data"]["relationships"] == {"status_updates": {"data": [{"id": first["id"], "type": "status_update"}]}}
    assert {name: first["attributes"][name] for name in ("message", "status_report_id", "notify_subscribers")} == {
        "message": "We are investigating", "status_report_id": report_id, "notify_subscribers": False}
    _, _, ours = await api.request("GET", f"/api/status-pages/{page_id}/reports/{report_id}")
    assert (ours["title"], ours["status"], ours["affected_resource_ids"]) == (
        "Checkout fails", "investigating", [resource_id])
    assert [update["id"] for update in ours["updates"]] == [first["id"]]

    status, _, update = await api.request("POST", f"{reports}/{report_id}/status-updates", json={
        "message": "Fixed", "affected_resources": [{"status_page_resource_id": resource_id, "status": "resolved"}]})
    assert status == 201, update
    assert (update["data"]["type"], update["data"]["attributes"]["message"],
            update["data"]["attributes"]["affected_resources"]) == (
        "status_update", "Fixed", [{"status_page_resource_id": resource_id, "status": "resolved"}])
    _, _, ours = await api.request("GET", f"/api/status-pages/{page_id}/reports/{report_id}")
    assert ours["status"] == "resolved" and ours["resolved_at"] is not None, ours
    status, _, read = await api.request("GET", f"{reports}/{report_id}")
    assert status == 200 and read["data"]["attributes"]["aggregate_state"] == "Operational", read
    assert read["data"]["attributes"]["ends_at"] is not None and len(read["included"]) == 2
    _, _, listed = await api.request("GET", f"{reports}/{report_id}/status-updates")
    assert [item["attributes"]["message"] for item in listed["data"]] == ["We are investigating", "Fixed"]

    status, _, changed = await api.request("PATCH", f"{reports}/{report_id}", json={"title": "Checkout failed"})
    assert status == 200 and changed["data"]["attributes"]["title"] == "Checkout failed", changed
    _, _, listed = await api.request("GET", reports)
    assert [item["id"] for item in listed["data"]] == [report_id] and listed["pagination"]["prev"] is None

    status, _, _ = await api.request("DELETE", f"{reports}/{report_id}")
    assert status == 204
    status, _, answer = await api.request("GET", f"{reports}/{report_id}")
    assert status == 404 and isinstance(answer["errors"], str), answer


async def test_what_upstatd_has_no_counterpart_for_is_refused_naming_the_field(api):
    page_id, resource_id = await _page_with_a_resource(api)
    reports = f"/api/v2/status-pages/{page_id}/status-reports"
    good = {"title": "Outage", "message": "Looking", "affected_resources": [
        {"status_page_resource_id": resource_id, "status": "degraded"}]}
    for body, field in (({"report_type": "maintenance"}, "report_type"),
                        ({"affected_resources": [{"status_page_resource_id": resource_id, "status": "maintenance"}]},
                         "affected_resources.0.status"),
                        ({"affected_resources": [{"status_page_resource_id": "spr_missing", "status": "downtime"}]},
                         "affected_resources"),
                        ({"message": None}, "message"), ({"title": ""}, "title"), ({"colour": "red"}, "colour")):
        sent = {key: value for key, value in {**good, **body}.items() if value is not None}
        status, _, answer = await api.request("POST", reports, json=sent)
        assert status == 422 and list(answer["errors"]) == [field], (body, answer)
    status, _, answer = await api.request("POST", "/api/v2/status-pages/stp_missing/status-reports", json=good)
    assert status == 404 and isinstance(answer["errors"], str), answer
