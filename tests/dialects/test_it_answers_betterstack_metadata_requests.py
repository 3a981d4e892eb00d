"""Better Stack's metadata (/api/v3/metadata): each key of a monitor's, heartbeat's or
incident's `metadata` is a record, listed by owner_type and owner_id, set and removed
through the owner's own update command (the same metadata /api shows); owner types and
value types upstatd has no counterpart for are refused naming the field."""

from __future__ import annotations

CONFIG = """\
monitors:
  - key: web
    name: Web
    type: http
    url: http://127.0.0.1:9/
    interval: 1h
"""


async def test_metadata_is_listed_set_and_removed_on_the_objects_themselves(start_api):
    api = await start_api(CONFIG)
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "http", "url": "http://127.0.0.1:9/shop", "metadata": {"team": "web"}})
    monitor_id = monitor["id"]
    _, _, heartbeat = await api.request("POST", "/api/heartbeats", json={
        "name": "Backup", "period_seconds": 3600, "metadata": {"host": "db1"}})
    _, _, incident = await api.request("POST", "/api/incidents", json={"title": "Outage",
                                                                       "metadata": {"ticket": "OPS-1"}})

    # the reference's example
    status, _, made = await api.request("POST", "/api/v3/metadata", json={
        "key": "Key 1", "values": [{"value": "Value 1"}], "owner_id": monitor_id, "owner_type": "Monitor"})
    assert status == 201, made
    record_id = made["data"]["id"]
    assert made["data"] == {"id": record_id, "type": "metadata", "attributes": {
        "key": "Key 1", "values": [{"type": "String", "value": "Value 1"}], "team_name": None,
        "owner_id": monitor_id, "owner_type": "Monitor"}}
    _, _, ours = await api.request("GET", f"/api/monitors/{monitor_id}")
    assert ours["metadata"] == {"team": "web", "Key 1": "Value 1"}

    status, _, listed = await api.request("GET", f"/api/v3/metadata?owner_id={monitor_id}&owner_type=Monitor")
    assert status == 200, listed
    assert [(item["attributes"]["key"], item["attributes"]["values"]) for item in listed["data"]] == [
        ("Key 1", [{"type": "String", "value": "Value 1"}]), ("team", [{"type": "String", "value": "web"}])]
    assert listed["pagination"]["first"] == (f"{api.url}/api/v3/metadata?owner_id={monitor_id}&owner_type=Monitor"
                                             f"&page=1&per_page=50")
    _, _, listed = await api.request("GET", "/api/v3/metadata?per_page=2")
    assert [item["attributes"]["owner_id"] for item in listed["data"]] == [monitor_id, monitor_id]
    _, _, listed = await api.request("GET", "/api/v3/metadata?page=2&per_page=2")
    assert [(item["attributes"]["owner_type"], item["attributes"]["owner_id"], item["attributes"]["key"])
            for item in listed["data"]] == [("Heartbeat", heartbeat["id"], "host"),
                                            ("Incident", incident["id"], "ticket")]
    _, _, listed = await api.request("GET", f"/api/v3/metadata?owner_id={incident['id']}")
    assert [item["attributes"]["key"] for item in listed["data"]] == ["ticket"]

    status, _, read = await api.request("GET", f"/api/v3/metadata/{record_id}")
    assert status == 200 and read == made, read
    status, _, changed = await api.request("POST", "/api/v3/metadata", json={
        "key": "host", "values": [{"type": "String", "value": "db2"}], "owner_id": heartbeat["id"],
        "owner_type": "Heartbeat"})
    assert status == 201 and changed["data"]["attributes"]["values"] == [{"type": "String", "value": "db2"}]
    _, _, ours = await api.request("GET", f"/api/heartbeats/{heartbeat['id']}")
    assert ours["metadata"] == {"host": "db2"}

    # the reference's "Remove metadata": no values
    status, _, removed = await api.request("POST", "/api/v3/metadata", json={
        "key": "Key 1", "values": [], "owner_id": monitor_id, "owner_type": "Monitor"})
    assert status == 201 and removed["data"]["attributes"]["values"] == [], removed
    _, _, ours = await api.request("GET", f"/api/monitors/{monitor_id}")
    assert ours["metadata"] == {"team": "web"}
    status, _, answer = await api.request("GET", f"/api/v3/metadata/{record_id}")
    assert status == 404 and isinstance(answer["errors"], str), answer

    status, _, _ = await api.request("DELETE", f"/api/v3/metadata/{changed['data']['id']}")
    assert status == 204
    _, _, ours = await api.request("GET", f"/api/heartbeats/{heartbeat['id']}")
    assert ours["metadata"] == {}
    status, _, answer = await api.request("DELETE", f"/api/v3/metadata/{changed['data']['id']}")
    assert status == 404, answer


async def test_what_upstatd_has_no_counterpart_for_is_refused_naming_the_field(start_api):
    api = await start_api(CONFIG)
    _, _, monitors = await api.request("GET", "/api/monitors")
    from_file = monitors["data"][0]["id"]
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "http", "url": "http://127.0.0.1:9/shop"})
    good = {"key": "Owner", "values": [{"type": "String", "value": "web"}], "owner_id": monitor["id"],
            "owner_type": "Monitor"}
    for body, field in (
            ({"owner_type": "WebhookIntegration"}, "owner_type"), ({"owner_type": "CallRouting"}, "owner_type"),
            ({"owner_type": "Server"}, "owner_type"),
            ({"values": [{"type": "User", "email": "alice@example.com"}]}, "values.0.type"),
            ({"values": [{"type": "Schedule", "item_id": 123}]}, "values.0.type"),
            ({"values": [{"value": "a"}, {"value": "b"}]}, "values"),
            ({"key": "k" * 41}, "key"), ({"values": [{"value": "v" * 501}]}, "values.0.value"),
            ({"mode": "append"}, "mode"), ({"colour": "red"}, "colour")):
        status, _, answer = await api.request("POST", "/api/v3/metadata", json={**good, **body})
        assert status == 422 and list(answer["errors"]) == [field], (body, answer)
    status, _, answer = await api.request("GET", "/api/v3/metadata?owner_type=EmailIntegration")
    assert status == 422 and list(answer["errors"]) == ["owner_type"], answer
    status, _, answer = await api.request("POST", "/api/v3/metadata", json={**good, "owner_id": "mon_missing"})
    assert status == 404, answer
    status, _, answer = await api.request("POST", "/api/v3/metadata", json={**good, "owner_id": from_file})
    assert status == 409 and "config file" in answer["errors"], answer  # as /api answers it

    status, _, _ = await api.request("POST", "/api/v3/metadata", json={**good, "values": [{"value": "a"}]})
    status, _, answer = await api.request("POST", "/api/v3/metadata", json={
        **good, "values": [{"value": "b"}], "mode": "merge"})
    assert status == 422 and list(answer["errors"]) == ["values"], answer  # one value per key

    _, _, incident = await api.request("POST", "/api/incidents", json={"title": "Outage", "metadata": {"t": "1"}})
    reader = await api.make_token("monitors:read")
    status, _, listed = await api.request("GET", "/api/v3/metadata", token=reader)
    assert status == 200 and {item["attributes"]["owner_type"] for item in listed["data"]} == {"Monitor"}, listed
    status, _, answer = await api.request("GET", "/api/v3/metadata?owner_type=Incident", token=reader)
    assert status == 403 and "incidents:read" in answer["errors"], answer
    status, _, answer = await api.request("POST", "/api/v3/metadata", token=reader, json=good)
    assert status == 403 and "monitors:update" in answer["errors"], answer
