"""The seed's UptimeGuard requests (uptimeguard-monitors-api.txt) replayed against the running
daemon under /v1: each answer has the documented status and shape, field for field."""

from __future__ import annotations

from uptimeguardkit import CHANNELS_YAML, CREATE, ISO, assert_monitor, start_api  # noqa: F401  (a fixture)


async def test_it_creates_a_monitor_as_the_seed_does(start_api):
    api = await start_api(CHANNELS_YAML)
    status, _, made = await api.request("POST", "/v1/monitors", json=CREATE)
    assert status == 201, made
    assert_monitor(made)
    assert (made["name"], made["url"], made["type"], made["status"], made["interval_seconds"]) == (
        CREATE["name"], CREATE["url"], "https", "active", 60)
    assert made["tags"] == ["production", "ecommerce"]
    assert made["regions"] == ["us-east-1", "eu-west-1", "ap-southeast-1"]  # declared in the kit's config
    assert [channel["type"] for channel in made["alert_channels"]] == ["webhook", "webhook"]
    assert all(channel["id"].startswith("ch_") for channel in made["alert_channels"])
    assert made["created_at"] == made["updated_at"]


async def test_it_lists_retrieves_updates_and_deletes_as_the_seed_does(start_api):
    api = await start_api(CHANNELS_YAML)
    _, _, shop = await api.request("POST", "/v1/monitors", json=CREATE)
    _, _, gateway = await api.request("POST", "/v1/monitors", json={
        "name": "ACME API Gateway", "url": "https://127.0.0.1:9/health", "type": "https", "interval_seconds": 60,
        "tags": ["production", "backend"]})
    _, _, staging = await api.request("POST", "/v1/monitors", json={
        "name": "staging", "url": "http://127.0.0.1:9/", "type": "http", "interval_seconds": 30,
        "tags": ["staging"]})
    assert staging["type"] == "http"

    # "List Monitors with Filtering": status=active&tag=production&per_page=10
    status, _, listed = await api.request("GET", "/v1/monitors?status=active&tag=production&per_page=10")
    assert status == 200, listed
    assert set(listed) == {"monitors", "total", "page", "per_page"}
    assert (listed["total"], listed["page"], listed["per_page"]) == (2, 1, 10)
    assert [item["id"] for item in listed["monitors"]] == [gateway["id"], shop["id"]]  # newest first
    for item in listed["monitors"]:
        assert_monitor(item, listed=True)
        assert item["uptime_24h"] is None or 0 <= item["uptime_24h"] <= 100
        assert item["current_state"] in ("pending", "up", "down", "degraded")

    status, _, one = await api.request("GET", f"/v1/monitors/{shop['id']}")
    assert status == 200 and one == shop

    status, _, changed = await api.request("PUT", f"/v1/monitors/{shop['id']}",
                                           json={"name": "ACME Shop", "interval_seconds": 120})
    assert status == 200, changed
    assert_monitor(changed)
    assert (changed["name"], changed["interval_seconds"], changed["tags"]) == ("ACME Shop", 120, shop["tags"])

    status, _, paused = await api.request("POST", f"/v1/monitors/{shop['id']}/pause",
                                          json={"resume_at": "2099-01-14T09:32:17Z"})
    assert status == 200 and paused["status"] == "paused", paused
    _, _, listed = await api.request("GET", "/v1/monitors?status=paused")
    assert [item["id"] for item in listed["monitors"]] == [shop["id"]]
    _, _, upstat = await api.request("GET", f"/api/monitors/{shop['id']}")
    assert upstat["resume_at"] == 4072066337  # 2099-01-14T09:32:17Z

    status, _, deleted = await api.request("GET", "/v1/monitors?status=deleted")
    assert status == 200 and deleted["total"] == 0 and deleted["monitors"] == []

    # "Delete a Monitor": 204, no body
    status, _, body = await api.request("DELETE", f"/v1/monitors/{shop['id']}")
    assert (status, body) == (204, None)
    status, _, _ = await api.request("GET", f"/v1/monitors/{shop['id']}")
    assert status == 404


async def test_it_reports_status_and_incidents_as_the_seed_does(start_api):
    api = await start_api()
    _, _, made = await api.request("POST", "/v1/monitors", json={
        "name": "tcp", "url": "tcp://127.0.0.1:9", "type": "tcp", "interval_seconds": 60})
    monitor_id = made["id"]
    status, _, figures = await api.request("GET", f"/v1/monitors/{monitor_id}/status")
    assert status == 200, figures
    assert set(figures) == {"monitor_id", "current_state", "uptime_24h", "uptime_7d", "uptime_30d",
                            "last_check_at", "last_incident_at"}
    assert figures["monitor_id"] == monitor_id

    # an incident on the monitor, opened through /api (the same incidents)
    status, _, incident = await api.request("POST", "/api/incidents", json={
        "title": "shop down", "severity": "major", "affected_monitor_ids": [monitor_id]})
    assert status == 201, incident
    status, _, listed = await api.request("GET", f"/v1/monitors/{monitor_id}/incidents"
                                                 "?from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z")
    assert status == 200, listed
    assert set(listed) == {"incidents", "total"} and listed["total"] == 1
    (item,) = listed["incidents"]
    assert set(item) == {"id", "severity", "started_at", "resolved_at", "duration_seconds", "region"}
    assert (item["id"], item["severity"], item["resolved_at"], item["region"]) == (
        incident["id"], "critical", None, None)
    assert ISO.match(item["started_at"])
    _, _, warnings = await api.request("GET", f"/v1/monitors/{monitor_id}/incidents?severity=warning")
    assert warnings == {"incidents": [], "total": 0}
    _, _, before = await api.request("GET", f"/v1/monitors/{monitor_id}/incidents?to=2020-01-01T00:00:00Z")
    assert before["total"] == 0
    _, _, figures = await api.request("GET", f"/v1/monitors/{monitor_id}/status")
    assert ISO.match(figures["last_incident_at"])
