"""A monitor made through /v1 is the same object in /api/monitors (and the other way round):
one row, the same commands; UptimeGuard's fields map onto upstatd's."""

from __future__ import annotations

from datetime import datetime, timezone

from uptimeguardkit import CHANNELS_YAML, CREATE, start_api  # noqa: F401  (a fixture)


def unix(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


async def test_a_v1_monitor_is_the_same_object_in_api_monitors(start_api):
    api = await start_api(CHANNELS_YAML)
    _, _, made = await api.request("POST", "/v1/monitors", json=CREATE)
    status, _, same = await api.request("GET", f"/api/monitors/{made['id']}")
    assert status == 200, same
    assert (same["id"], same["name"], same["url"], same["type"], same["interval_seconds"], same["tags"],
            same["status"]) == (made["id"], made["name"], made["url"], "http", 60, made["tags"], "active")
    assert same["alert_channels"] == made["alert_channels"]
    assert same["metadata"] == {"made_through": "uptimeguard"}
    assert (same["created_at"], same["updated_at"]) == (unix(made["created_at"]), unix(made["updated_at"]))
    _, _, listed = await api.request("GET", "/api/monitors")
    assert [item["id"] for item in listed["data"]] == [made["id"]]

    # changed through /api, seen through /v1; paused through /v1, seen through /api
    await api.request("PATCH", f"/api/monitors/{made['id']}", json={"name": "renamed", "tags": ["x"]})
    _, _, seen = await api.request("GET", f"/v1/monitors/{made['id']}")
    assert (seen["name"], seen["tags"]) == ("renamed", ["x"])
    await api.request("POST", f"/v1/monitors/{made['id']}/pause", json={})
    _, _, paused = await api.request("GET", f"/api/monitors/{made['id']}")
    assert (paused["status"], paused["resume_at"]) == ("paused", None)
    await api.request("POST", f"/api/monitors/{made['id']}/resume")
    _, _, resumed = await api.request("GET", f"/v1/monitors/{made['id']}")
    assert resumed["status"] == "active"
    # the same figures: /v1's status is /api's
    _, _, theirs = await api.request("GET", f"/v1/monitors/{made['id']}/status")
    _, _, ours = await api.request("GET", f"/api/monitors/{made['id']}/status")
    assert [theirs[name] for name in ("current_state", "uptime_24h", "uptime_7d", "uptime_30d")] == \
        [ours[name] for name in ("current_state", "uptime_24h", "uptime_7d", "uptime_30d")]

    # deleted through /v1: gone from /api
    await api.request("DELETE", f"/v1/monitors/{made['id']}")
    status, _, _ = await api.request("GET", f"/api/monitors/{made['id']}")
    assert status == 404


async def test_an_api_monitor_is_answered_in_uptimeguards_shape(start_api):
    api = await start_api()
    _, _, made = await api.request("POST", "/api/monitors", json={
        "type": "icmp", "url": "icmp://127.0.0.1", "name": "router", "tags": ["net"]})
    if made.get("error"):  # no ICMP socket on this host: an http monitor says the same
        _, _, made = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": "http://127.0.0.1:9/", "name": "router", "tags": ["net"]})
    status, _, seen = await api.request("GET", f"/v1/monitors/{made['id']}")
    assert status == 200, seen
    assert (seen["id"], seen["name"], seen["type"], seen["tags"], seen["alert_channels"], seen["regions"]) == (
        made["id"], "router", made["type"], ["net"], [], [])
    # the same type through PUT changes nothing of the type, and https for an http one is http
    status, _, _ = await api.request("PUT", f"/v1/monitors/{made['id']}", json={"type": seen["type"]})
    assert status == 200


async def test_it_serves_its_own_openapi_document(start_api):
    from openapi_spec_validator import validate

    import upstatd.api.routes.all  # noqa: F401
    from upstatd.api.routes import ROUTES

    api = await start_api()
    status, _, document = await api.request("GET", "/v1/openapi.json", token=None)
    assert status == 200, document
    validate(document)
    ours = {(item.method.lower(), item.path) for item in ROUTES if item.path.startswith("/v1/")}
    described = {(method, path) for path, methods in document["paths"].items() for method in methods}
    assert ours <= described and all(path.startswith("/v1/") for _, path in described), described
    assert document["components"]["schemas"]["UgMonitorCreate"]["required"] == [
        "name", "url", "type", "interval_seconds"]
    # and the main document leaves them out
    _, _, main = await api.request("GET", "/api/openapi.json", token=None)
    assert not [path for path in main["paths"] if path.startswith("/v1/monitors")]
