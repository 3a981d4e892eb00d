"""/api/catalog/services over real HTTP to the in-process daemon: a service is
created with its owner given by config key and read back as an id, listed with
the filters of the API conventions (tag, owner_id, tier), changed (metadata
merges) and deleted, each with its service.* event; its dependencies are added,
listed and removed through /dependencies. Services of the config file are
read-only (409 managed_by_config naming the file)."""

from __future__ import annotations

import servicekit
from servicekit import CATALOG, SERVICES, by_key, events, make, seed

start_api = servicekit.start_api   # the fixture: the in-process daemon


async def test_it_creates_lists_changes_and_deletes_services(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + CATALOG)
    catalog = await by_key(api)
    postgres = catalog["postgres"]

    made = await make(api, "Payments", description="Card payments", owner={"type": "user", "id": "usr_bob"},
                      tier=2, links=[{"title": "Runbook", "url": "https://wiki.example.com/payments"}],
                      tags=["money"], metadata={"team": "pay"}, depends_on=[postgres["id"]])
    assert made["id"].startswith("svc_") and made["object"] == "service"
    assert {name: made[name] for name in ("key", "name", "description", "owner", "tier", "links", "tags",
                                          "metadata", "depends_on", "dependents", "monitor_ids", "heartbeat_ids",
                                          "state", "managed_by")} == {
        "key": None, "name": "Payments", "description": "Card payments", "owner": {"type": "user", "id": "usr_bob"},
        "tier": 2, "links": [{"title": "Runbook", "url": "https://wiki.example.com/payments"}], "tags": ["money"],
        "metadata": {"team": "pay"}, "depends_on": [postgres["id"]], "dependents": [], "monitor_ids": [],
        "heartbeat_ids": [], "state": "unknown", "managed_by": "api"}
    status, _, read = await api.request("GET", f"{SERVICES}/{made['id']}")
    assert status == 200 and read == made
    status, _, postgres = await api.request("GET", f"{SERVICES}/{postgres['id']}")
    assert sorted(postgres["dependents"]) == sorted([catalog["api"]["id"], made["id"]])

    # the filters: tag, owner (an id), tier
    for query, names in (("tag=money", ["Payments"]), ("tag=backend", ["Public API"]),
                         ("owner_id=usr_bob", ["Payments"]), ("owner_id=sch_ops", ["Public API"]),
                         ("tier=1", ["PostgreSQL", "Public API"]), ("tier=2", ["Payments", "Web shop"]),
                         ("managed_by=api", ["Payments"])):
        status, _, listed = await api.request("GET", f"{SERVICES}?{query}")
        assert status == 200 and sorted(item["name"] for item in listed["data"]) == names, query
    status, _, page = await api.request("GET", f"{SERVICES}?limit=2")
    assert [item["name"] for item in page["data"]] == ["Payments", "PostgreSQL"] and page["has_more"]
    status, _, rest = await api.request("GET", f"{SERVICES}?limit=2&starting_after={page['data'][1]['id']}")
    assert [item["name"] for item in rest["data"]] == ["Public API", "Web shop"] and not rest["has_more"]

    status, _, changed = await api.request("PATCH", f"{SERVICES}/{made['id']}", json={
        "name": "Payments EU", "owner": {"type": "schedule", "id": "sch_ops"}, "tier": None,
        "metadata": {"team": "", "region": "eu"}})
    assert status == 200, changed
    assert (changed["name"], changed["owner"], changed["tier"], changed["metadata"]) == \
        ("Payments EU", {"type": "schedule", "id": "sch_ops"}, None, {"region": "eu"})

    # dependencies: add one (answers the service), list them, remove it
    status, _, added = await api.request("POST", f"{SERVICES}/{made['id']}/dependencies",
                                         json={"depends_on_id": catalog["web"]["id"]})
    assert status == 201 and added["depends_on"] == [postgres["id"], catalog["web"]["id"]], added
    status, _, needed = await api.request("GET", f"{SERVICES}/{made['id']}/dependencies")
    assert status == 200 and [item["name"] for item in needed["data"]] == ["PostgreSQL", "Web shop"]
    status, _, _ = await api.request("DELETE", f"{SERVICES}/{made['id']}/dependencies/{catalog['web']['id']}")
    assert status == 204
    status, _, gone = await api.request("DELETE", f"{SERVICES}/{made['id']}/dependencies/{catalog['web']['id']}")
    assert status == 404 and gone["error"]["param"] == "depends_on_id"

    status, _, _ = await api.request("DELETE", f"{SERVICES}/{made['id']}")
    assert status == 204
    status, _, missing = await api.request("GET", f"{SERVICES}/{made['id']}")
    assert status == 404 and missing["error"]["code"] == "resource_missing"
    status, _, postgres = await api.request("GET", f"{SERVICES}/{postgres['id']}")
    assert postgres["dependents"] == [catalog["api"]["id"]]

    assert [item["name"] for item in events(api.db_path, "service.created")] == [
        "Web shop", "Public API", "PostgreSQL", "Payments"]
    assert [item["id"] for item in events(api.db_path, "service.deleted")] == [made["id"]]
    assert "Payments EU" in [item["name"] for item in events(api.db_path, "service.updated")]


async def test_it_refuses_bad_bodies_naming_the_param(start_api, tmp_path):
    api = await start_api(seed(tmp_path))
    for body, status, param in (
            ({"name": "x", "owner": {"type": "user", "id": "usr_nobody"}}, 422, "owner.id"),
            ({"name": "x", "owner": {"type": "team", "id": "usr_bob"}}, 422, "owner.type"),
            ({"name": "x", "tier": 5}, 422, "tier"),
            ({"name": "x", "links": [{"title": "t", "url": "ftp://example.com/"}]}, 422, "links.0.url"),
            ({"name": "x", "depends_on": ["svc_nothing"]}, 422, "depends_on.0"),
            ({"name": ""}, 422, "name"),
            ({"name": "x", "colour": "red"}, 400, "colour")):
        got, _, answer = await api.request("POST", SERVICES, json=body)
        assert (got, answer["error"]["param"]) == (status, param), (body, answer)


async def test_it_keeps_the_config_files_services_read_only(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + CATALOG)
    catalog = await by_key(api)
    for method, path, body in (("PATCH", f"{SERVICES}/{catalog['api']['id']}", {"name": "mine"}),
                               ("DELETE", f"{SERVICES}/{catalog['postgres']['id']}", None),
                               ("DELETE", f"{SERVICES}/{catalog['api']['id']}/dependencies/"
                                          f"{catalog['postgres']['id']}", None)):
        status, _, answer = await api.request(method, path, json=body)
        assert status == 409 and answer["error"]["code"] == "managed_by_config", (path, answer)
        assert str(api.config_path) in answer["error"]["message"]
