"""Better Stack's status pages (/api/v2/status-pages) with their sections and resources:
made, read, listed, changed and deleted through upstatd's status page commands (the same
page, sections and resources /api/status-pages shows), each resource with its state and
daily history as the public page has them; what upstatd has no counterpart for refused
naming the field."""

from __future__ import annotations

import re

from upstatd.clock import FakeClock

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PAGE_ATTRIBUTES = {
    "company_name", "company_url", "contact_url", "logo_url", "timezone", "subdomain", "custom_domain", "custom_css",
    "custom_javascript", "google_analytics_id", "min_incident_length", "announcement", "announcement_embed_visible",
    "announcement_embed_css", "announcement_embed_link", "automatic_reports", "subscribable",
    "hide_from_search_engines", "password_enabled", "history", "aggregate_state", "design", "theme", "layout",
    "navigation_links", "status_page_group_id", "ip_allowlist", "created_at", "updated_at"}
RESOURCE_ATTRIBUTES = {
    "status_page_section_id", "resource_id", "resource_type", "history", "widget_type", "public_name", "explanation",
    "position", "fixed_position", "mark_as_down_for", "mark_as_down_metadata_rule", "mark_as_degraded_for",
    "mark_as_degraded_metadata_rule", "availability", "status", "status_history"}


async def test_a_page_its_sections_and_resources_are_made_read_changed_and_deleted(start_api):
    api = await start_api(clock=FakeClock(wall=1_800_000_000))
    # the reference's examples (as its Terraform provider's sends them)
    status, _, made = await api.request("POST", "/api/v2/status-pages", json={
        "company_name": "Example, Inc", "company_url": "https://example.com", "contact_url": "mailto:ops@example.com",
        "timezone": "UTC", "subdomain": "example", "subscribable": True})
    assert status == 201, made
    page_id = made["data"]["id"]
    attributes = made["data"]["attributes"]
    assert made["data"]["type"] == "status_page" and set(attributes) == PAGE_ATTRIBUTES, made
    assert (attributes["company_name"], attributes["subdomain"], attributes["timezone"], attributes["custom_domain"],
            attributes["password_enabled"], attributes["aggregate_state"]) == (
        "Example, Inc", "example", "UTC", None, False, "operational")
    assert ISO.match(attributes["created_at"])
    _, _, ours = await api.request("GET", f"/api/status-pages/{page_id}")
    assert (ours["name"], ours["slug"], ours["published"]) == ("Example, Inc", "example", True)

    status, _, section = await api.request("POST", f"/api/v2/status-pages/{page_id}/sections",
                                           json={"name": "EU Datacenter", "position": 0})
    assert status == 201, section
    section_id = section["data"]["id"]
    assert section["data"] == {"id": section_id, "type": "status_page_section",
                               "attributes": {"name": "EU Datacenter", "position": 0, "status_page_id": page_id}}
    _, _, second = await api.request("POST", f"/api/v2/status-pages/{page_id}/sections", json={"name": "US"})
    assert second["data"]["attributes"]["position"] == 1  # no position: after the last

    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "http", "url": "http://127.0.0.1:9/"})
    status, _, resource = await api.request("POST", f"/api/v2/status-pages/{page_id}/resources", json={
        "resource_id": monitor["id"], "resource_type": "Monitor", "public_name": "Shop", "widget_type": "history"})
    assert status == 201, resource
    resource_id = resource["data"]["id"]
    shown = resource["data"]["attributes"]
    assert resource["data"]["type"] == "status_page_resource" and set(shown) == RESOURCE_ATTRIBUTES, resource
    assert (shown["status_page_section_id"], shown["resource_id"], shown["resource_type"], shown["public_name"],
            shown["widget_type"], shown["history"], shown["status"], shown["availability"]) == (
        section_id, monitor["id"], "Monitor", "Shop", "history", True, "not_monitored", None)  # no check yet
    assert len(shown["status_history"]) == 90 and shown["status_history"][-1] == {
        "day": "2027-01-15", "status": "not_monitored", "downtime_duration": 0, "maintenance_duration": 0}
    _, _, ours = await api.request("GET", f"/api/status-pages/{page_id}/resources/{resource_id}")
    assert (ours["monitor_id"], ours["section_id"], ours["show_uptime"]) == (monitor["id"], section_id, True)

    status, _, changed = await api.request("PATCH", f"/api/v2/status-pages/{page_id}/resources/{resource_id}", json={
        "widget_type": "plain", "status_page_section_id": second["data"]["id"], "public_name": "Checkout"})
    assert status == 200, changed
    assert (changed["data"]["attributes"]["widget_type"], changed["data"]["attributes"]["status_page_section_id"],
            changed["data"]["attributes"]["public_name"], changed["data"]["attributes"]["status_history"]) == (
        "plain", second["data"]["id"], "Checkout", [])
    _, _, listed = await api.request("GET", f"/api/v2/status-pages/{page_id}/resources")
    assert [item["id"] for item in listed["data"]] == [resource_id] and listed["pagination"]["next"] is None
    status, _, read = await api.request("GET", f"/api/v2/status-pages/{page_id}/resources/{resource_id}")
    assert status == 200 and read == changed, read

    status, _, renamed = await api.request("PATCH", f"/api/v2/status-pages/{page_id}/sections/{section_id}",
                                           json={"name": "Europe"})
    assert status == 200 and renamed["data"]["attributes"]["name"] == "Europe", renamed
    _, _, listed = await api.request("GET", f"/api/v2/status-pages/{page_id}/sections?per_page=1")
    assert [item["id"] for item in listed["data"]] == [section_id]
    assert listed["pagination"]["next"] == f"{api.url}/api/v2/status-pages/{page_id}/sections?page=2&per_page=1"
    status, _, read = await api.request("GET", f"/api/v2/status-pages/{page_id}/sections/{section_id}")
    assert status == 200 and read == renamed, read
    status, _, _ = await api.request("DELETE", f"/api/v2/status-pages/{page_id}/sections/{section_id}")
    assert status == 204
    status, _, answer = await api.request("GET", f"/api/v2/status-pages/{page_id}/sections/{section_id}")
    assert status == 404 and isinstance(answer["errors"], str), answer

    status, _, page = await api.request("PATCH", f"/api/v2/status-pages/{page_id}", json={
        "company_name": "Example", "password_enabled": True, "password": "correct horse"})
    assert status == 200, page
    assert (page["data"]["attributes"]["company_name"], page["data"]["attributes"]["password_enabled"]) == (
        "Example", True)
    _, _, listed = await api.request("GET", "/api/v2/status-pages")
    assert [item["id"] for item in listed["data"]] == [page_id]
    assert listed["data"][0]["attributes"] == page["data"]["attributes"]

    status, _, _ = await api.request("DELETE", f"/api/v2/status-pages/{page_id}/resources/{resource_id}")
    assert status == 204
    status, _, _ = await api.request("DELETE", f"/api/v2/status-pages/{page_id}")
    assert status == 204
    status, _, answer = await api.request("GET", f"/api/v2/status-pages/{page_id}")
    assert status == 404 and isinstance(answer["errors"], str), answer


async def test_what_upstatd_has_no_counterpart_for_is_refused_naming_the_field(api):
    good = {"company_name": "Example", "subdomain": "example"}
    for body, field in (({"ip_allowlist": ["192.0.2.0/24"]}, "ip_allowlist"), ({"custom_css": "h1{}"}, "custom_css"),
                        ({"logo_url": "https://example.com/logo.png"}, "logo_url"),
                        ({"announcement": "Maintenance tonight"}, "announcement"),
                        ({"subdomain": "Not A Slug"}, "subdomain"), ({"timezone": "Prague"}, "timezone"),
                        ({"company_name": None}, "company_name"), ({"password_enabled": True}, "password"),
                        ({"password": "short"}, "password"), ({"colour": "red"}, "colour")):
        sent = {key: value for key, value in {**good, **body}.items() if value is not None}
        status, _, answer = await api.request("POST", "/api/v2/status-pages", json=sent)
        assert status == 422 and list(answer["errors"]) == [field], (body, answer)
    status, _, made = await api.request("POST", "/api/v2/status-pages", json={**good, "custom_css": "",
                                                                             "ip_allowlist": []})  # empty: taken
    assert status == 201, made
    page_id = made["data"]["id"]
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "http", "url": "http://127.0.0.1:9/"})
    resource = {"resource_id": monitor["id"], "resource_type": "Monitor"}
    for body, field in (({"resource_type": "ManuallyTrackedItem", "resource_id": None}, "resource_type"),
                        ({"resource_type": "LogsChart"}, "resource_type"),
                        ({"widget_type": "response_times"}, "widget_type"),
                        ({"explanation": "Our shop"}, "explanation"),
                        ({"resource_id": "mon_missing"}, "resource_id"),
                        ({"status_page_section_id": "sps_missing"}, "status_page_section_id"),
                        ({"public_name": ""}, "public_name")):
        status, _, answer = await api.request("POST", f"/api/v2/status-pages/{page_id}/resources",
                                              json={**resource, **body})
        assert status == 422 and list(answer["errors"]) == [field], (body, answer)
    status, _, answer = await api.request("POST", f"/api/v2/status-pages/{page_id}/sections", json={"name": ""})
    assert status == 422 and list(answer["errors"]) == ["name"], answer
    status, _, answer = await api.request("GET", "/api/v2/status-pages/stp_missing/resources")
    assert status == 404 and isinstance(answer["errors"], str), answer
    reader = await api.make_token("status_pages:read")
    status, _, answer = await api.request("POST", "/api/v2/status-pages", token=reader, json=good)
    assert status == 403 and "status_pages:create" in answer["errors"], answer
