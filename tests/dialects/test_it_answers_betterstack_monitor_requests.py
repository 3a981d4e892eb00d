"""Better Stack's documented monitor requests (POST/GET/PATCH/DELETE /api/v2/monitors),
replayed against the running daemon: the answers carry the documented JSON:API
shape field for field, and every monitor_type maps onto upstatd's types."""

from __future__ import annotations

import re

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# the attributes of a monitor in Better Stack's reference answer
ATTRIBUTES = {
    "url", "pronounceable_name", "monitor_type", "monitor_group_id", "last_checked_at", "status", "policy_id",
    "required_keyword", "verify_ssl", "check_frequency", "call", "sms", "email", "push", "critical_alert",
    "team_wait", "http_method", "request_timeout", "recovery_period", "request_headers", "request_body",
    "follow_redirects", "remember_cookies", "created_at", "updated_at", "ssl_expiration", "domain_expiration",
    "regions", "expected_status_codes", "port", "confirmation_period", "paused_at", "paused",
    "maintenance_from", "maintenance_to", "maintenance_timezone", "maintenance_days"}

KEYWORD_MONITOR = {
    "monitor_type": "keyword", "url": "https://example.com/health", "pronounceable_name": "Example homepage",
    "required_keyword": "We call you", "check_frequency": 30, "request_timeout": 15, "confirmation_period": 60,
    "recovery_period": 90, "verify_ssl": True, "http_method": "post", "request_body": "ping=1",
    "request_headers": [{"name": "User-Agent", "value": "upstatd"}, {"name": "X-Secret", "value": "s3"}], "follow_redirects": False,
    "ssl_expiration": 14, "email": True, "sms": False, "call": False, "push": True, "team_wait": 180,
}


async def test_a_keyword_monitor_is_created_read_updated_and_deleted(api):
    status, headers, made = await api.request("POST", "/api/v2/monitors", json=KEYWORD_MONITOR)
    assert status == 201, made
    data = made["data"]
    assert set(data) == {"id", "type", "attributes"} and data["type"] == "monitor"
    attributes = data["attributes"]
    assert set(attributes) == ATTRIBUTES
    assert {key: attributes[key] for key in ("url", "pronounceable_name", "monitor_type", "required_keyword",
                                              "check_frequency", "request_timeout", "confirmation_period",
                                              "recovery_period", "verify_ssl", "http_method", "request_body",
                                              "follow_redirects", "ssl_expiration", "paused", "regions",
                                              "expected_status_codes", "port")} == {
        "url": "https://example.com/health", "pronounceable_name": "Example homepage", "monitor_type": "keyword",
        "required_keyword": "We call you", "check_frequency": 30, "request_timeout": 15,
        "confirmation_period": 60, "recovery_period": 90, "verify_ssl": True, "http_method": "post",
        "request_body": "ping=1", "follow_redirects": False, "ssl_expiration": 14, "paused": False,
        "regions": [], "expected_status_codes": [], "port": None}
    # a header value that may be a secret is shown as upstatd's API shows it
    assert [(h["name"], h["value"]) for h in attributes["request_headers"]] == [
        ("User-Agent", "upstatd"), ("X-Secret", "********")]
    assert attributes["status"] == "pending" and attributes["paused_at"] is None
    assert ISO.match(attributes["created_at"]) and ISO.match(attributes["updated_at"])
    monitor_id = data["id"]

    # the same object in upstatd's own API
    status, _, ours = await api.request("GET", f"/api/monitors/{monitor_id}")
    assert status == 200
    assert (ours["type"], ours["url"], ours["name"], ours["interval_seconds"], ours["timeout_seconds"]) == (
        "http", "https://example.com/health", "Example homepage", 30, 15)
    assert ours["http"]["keyword"] == "We call you" and ours["http"]["method"] == "POST"
    assert ours["confirmation"] == {"failures": 2, "successes": 4, "recheck_seconds": 60}

    status, _, read = await api.request("GET", f"/api/v2/monitors/{monitor_id}")
    assert status == 200 and read == made

    status, _, changed = await api.request("PATCH", f"/api/v2/monitors/{monitor_id}",
                                           json={"paused": True, "check_frequency": 60,
                                                 "monitor_type": "status"})
    assert status == 200, changed
    attributes = changed["data"]["attributes"]
    assert (attributes["paused"], attributes["status"], attributes["check_frequency"],
            attributes["monitor_type"], attributes["required_keyword"]) == (True, "paused", 60, "status", None)
    assert ISO.match(attributes["paused_at"])
    status, _, ours = await api.request("GET", f"/api/monitors/{monitor_id}")
    assert ours["status"] == "paused" and "keyword" not in ours["http"]

    status, _, changed = await api.request("PATCH", f"/api/v2/monitors/{monitor_id}", json={"paused": False})
    assert status == 200 and changed["data"]["attributes"]["paused"] is False

    status, _, gone = await api.request("DELETE", f"/api/v2/monitors/{monitor_id}")
    assert (status, gone) == (204, None)
    status, _, answer = await api.request("GET", f"/api/v2/monitors/{monitor_id}")
    assert status == 404 and isinstance(answer["errors"], str)


async def test_each_monitor_type_maps_onto_upstatds_types(api):
    cases = [
        ({"monitor_type": "status", "url": "https://example.com"}, "http", "https://example.com", {}),
        ({"monitor_type": "expected_status_code", "url": "https://example.com", "expected_status_codes": [200, 301]},
         "http", "https://example.com", {"expected_status_codes": [200, 301]}),
        ({"monitor_type": "keyword_absence", "url": "https://example.com", "required_keyword": "error"},
         "http", "https://example.com", {"required_keyword": "error"}),
        ({"monitor_type": "ping", "url": "example.com", "request_timeout": 5}, "icmp", "icmp://example.com",
         {"url": "example.com", "request_timeout": 5}),
        ({"monitor_type": "tcp", "url": "example.com", "port": "5432", "request_timeout": 2500}, "tcp",
         "tcp://example.com:5432", {"url": "example.com", "port": "5432", "request_timeout": 2500}),
        ({"monitor_type": "dns", "url": "192.0.2.53", "request_body": "example.com"}, "dns", "example.com",
         {"url": "192.0.2.53", "request_body": "example.com"}),
    ]
    for sent, kind, url, shown in cases:
        status, _, made = await api.request("POST", "/api/v2/monitors", json=sent)
        assert status == 201, (sent, made)
        attributes = made["data"]["attributes"]
        assert attributes["monitor_type"] == sent["monitor_type"], attributes
        assert {key: attributes[key] for key in shown} == shown, (sent, attributes)
        _, _, ours = await api.request("GET", f"/api/monitors/{made['data']['id']}")
        assert (ours["type"], ours["url"]) == (kind, url)
    status, _, ours = await api.request("GET", "/api/monitors?limit=100")
    assert len(ours["data"]) == len(cases)


async def test_the_list_filters_by_url_and_pronounceable_name(api):
    for name, url in (("Shop", "https://shop.example.com"), ("Blog", "https://blog.example.com"),
                      ("Pinged", "db.example.com")):
        kind = "ping" if "://" not in url else "status"
        status, _, made = await api.request("POST", "/api/v2/monitors",
                                            json={"monitor_type": kind, "url": url, "pronounceable_name": name})
        assert status == 201, made
    status, _, found = await api.request("GET", "/api/v2/monitors?url=https://blog.example.com")
    assert status == 200 and [m["attributes"]["pronounceable_name"] for m in found["data"]] == ["Blog"]
    _, _, found = await api.request("GET", "/api/v2/monitors?pronounceable_name=Shop")
    assert [m["attributes"]["url"] for m in found["data"]] == ["https://shop.example.com"]
    _, _, found = await api.request("GET", "/api/v2/monitors?url=db.example.com")
    assert [m["attributes"]["pronounceable_name"] for m in found["data"]] == ["Pinged"]
    _, _, everything = await api.request("GET", "/api/v2/monitors")
    assert [m["attributes"]["pronounceable_name"] for m in everything["data"]] == ["Shop", "Blog", "Pinged"]
    assert everything["pagination"]["prev"] is None and everything["pagination"]["next"] is None
