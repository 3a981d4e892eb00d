"""Membership: a monitor or heartbeat belongs to a service by `service:` in the
file (a key) or `service_id` in the API (an id, checked: 422 naming service_id
when no service has it). The monitor and heartbeat objects show service_id, the
lists filter by it, the service lists them in monitor_ids / heartbeat_ids, and
null leaves the service; a reload that moves a file monitor to another service
moves it."""

from __future__ import annotations

import servicekit
from servicekit import CATALOG, SERVICES, by_key, make, reload, seed

start_api = servicekit.start_api

MEMBERS = """\
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", service: web}
heartbeats:
  - {key: vacuum, period: 1d, service: postgres}
"""


async def test_the_file_and_the_api_make_members(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + CATALOG + MEMBERS)
    catalog = await by_key(api)
    shop = api.daemon.monitors.monitors["shop"].id
    assert catalog["web"]["monitor_ids"] == [shop]
    (vacuum,) = catalog["postgres"]["heartbeat_ids"]
    status, _, monitor = await api.request("GET", f"/api/monitors/{shop}")
    assert monitor["service_id"] == catalog["web"]["id"]

    payments = await make(api, "Payments")
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": "tcp://127.0.0.1:9", "service_id": payments["id"]})
    assert status == 201 and made["service_id"] == payments["id"], made
    status, _, beat = await api.request("POST", "/api/heartbeats", json={
        "period_seconds": 3600, "service_id": catalog["postgres"]["id"]})   # an API member of a file service
    assert status == 201 and beat["service_id"] == catalog["postgres"]["id"], beat

    status, _, listed = await api.request("GET", f"/api/monitors?service_id={payments['id']}")
    assert status == 200 and [item["id"] for item in listed["data"]] == [made["id"]]
    status, _, listed = await api.request("GET", f"/api/heartbeats?service_id={catalog['postgres']['id']}")
    assert sorted(item["id"] for item in listed["data"]) == sorted([vacuum, beat["id"]])
    status, _, postgres = await api.request("GET", f"{SERVICES}/{catalog['postgres']['id']}")
    assert sorted(postgres["heartbeat_ids"]) == sorted([vacuum, beat["id"]])

    for path, body in (("/api/monitors", {"type": "tcp", "url": "tcp://127.0.0.1:9", "service_id": "svc_none"}),
                       ("/api/heartbeats", {"period_seconds": 3600, "service_id": "svc_none"}),
                       (f"/api/monitors/{made['id']}", {"service_id": "svc_none"})):
        status, _, answer = await api.request("PATCH" if path.count("/") == 3 else "POST", path, json=body)
        assert status == 422 and answer["error"]["param"] == "service_id", answer
        assert "no service with id 'svc_none'" in answer["error"]["message"]

    status, _, moved = await api.request("PATCH", f"/api/monitors/{made['id']}", json={"service_id": None})
    assert status == 200 and moved["service_id"] is None
    status, _, payments = await api.request("GET", f"{SERVICES}/{payments['id']}")
    assert payments["monitor_ids"] == []

    await reload(api, CATALOG + MEMBERS.replace("service: web", "service: api"))
    catalog = await by_key(api)
    assert (catalog["web"]["monitor_ids"], catalog["api"]["monitor_ids"]) == ([], [shop])
