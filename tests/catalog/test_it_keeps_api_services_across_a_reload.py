"""A reload (SIGHUP) replaces the config file's services and dependencies with
the file's and leaves those made over the API: a service changed in the file is
updated in place (same id, service.updated), a new one created, one gone from
the file deleted (service.deleted, its edges with it); an API service and its
API edges stay; and an API edge between two of the file's services, once the
file names it, is the file's (managed_by 'config': the API can no longer
remove it, and the file's next change takes it away)."""

from __future__ import annotations

import sqlite3

import servicekit
from servicekit import CATALOG, SERVICES, by_key, events, make, reload, seed

start_api = servicekit.start_api

CHANGED = """\
people:
  - {key: anna, name: Anna}
services:
  web:
    name: Web shop
    depends_on: [api, postgres]
  api:
    name: Public API v2
    owner: {user: anna}
    depends_on: [postgres, search]
  search:
    name: Search
    depends_on: [postgres]
  postgres:
    name: PostgreSQL
"""
WITHOUT_WEB = """\
services:
  api:
    name: Public API v2
    depends_on: [postgres]
  search:
    name: Search
  postgres:
    name: PostgreSQL
"""


def edges(db_path) -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return set(conn.execute("SELECT service_id, depends_on_id, managed_by FROM service_dependencies"))
    finally:
        conn.close()


async def test_it_replaces_the_files_services_and_keeps_the_apis(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + CATALOG)
    before = await by_key(api)
    await make(api, "Payments", depends_on=[before["postgres"]["id"], before["api"]["id"]])
    status, _, _ = await api.request("POST", f"{SERVICES}/{before['web']['id']}/dependencies",
                                     json={"depends_on_id": before["postgres"]["id"]})
    assert status == 201

    await reload(api, CHANGED)
    after = await by_key(api)
    ids = {key: item["id"] for key, item in after.items()}
    assert sorted(ids) == ["Payments", "api", "postgres", "search", "web"]
    assert all(ids[key] == before[key]["id"] for key in ("web", "api", "postgres"))
    assert after["api"]["name"] == "Public API v2"
    assert after["api"]["owner"]["type"] == "user" and after["api"]["owner"]["id"].startswith("usr_")
    assert sorted(after["Payments"]["depends_on"]) == sorted([ids["postgres"], ids["api"]])
    assert edges(api.db_path) == {
        (ids["web"], ids["api"], "config"), (ids["web"], ids["postgres"], "config"),   # the API's, now the file's
        (ids["api"], ids["postgres"], "config"), (ids["api"], ids["search"], "config"),
        (ids["search"], ids["postgres"], "config"),
        (ids["Payments"], ids["postgres"], "api"), (ids["Payments"], ids["api"], "api")}
    assert "Search" in [item["name"] for item in events(api.db_path, "service.created")]
    assert "Public API v2" in [item["name"] for item in events(api.db_path, "service.updated")]
    status, _, answer = await api.request("DELETE", f"{SERVICES}/{ids['web']}/dependencies/{ids['postgres']}")
    assert status == 409 and answer["error"]["code"] == "managed_by_config", answer

    await reload(api, WITHOUT_WEB)
    ids = {key: item["id"] for key, item in (await by_key(api)).items()}
    assert sorted(ids) == ["Payments", "api", "postgres", "search"]
    assert edges(api.db_path) == {(ids["api"], ids["postgres"], "config"),
                                  (ids["Payments"], ids["postgres"], "api"), (ids["Payments"], ids["api"], "api")}
    assert [(item["id"], item["name"]) for item in events(api.db_path, "service.deleted")] == [(before["web"]["id"], "Web shop")], before


async def test_a_file_service_an_api_service_needs_stays_until_it_no_longer_does(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + CATALOG)
    before = await by_key(api)
    payments = await make(api, "Payments", depends_on=[before["postgres"]["id"]])
    await reload(api, "services:\n  web: {name: Web shop}\n")
    kept = await by_key(api)
    assert sorted(kept) == ["Payments", "postgres", "web"]   # api went; postgres is still needed
    assert kept["Payments"]["depends_on"] == [before["postgres"]["id"]]
    status, _, _ = await api.request("DELETE", f"{SERVICES}/{payments['id']}/dependencies/{before['postgres']['id']}")
    assert status == 204
    await reload(api, "services:\n  web: {name: Web shop}\n")
    assert sorted(await by_key(api)) == ["Payments", "web"]
