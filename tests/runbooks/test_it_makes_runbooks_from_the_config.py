"""Runbooks of the config file: made at start (managed_by config, linked_to the
ids of the monitors and heartbeats their keys name), read-only over the API
(409 managed_by_config naming the file), and reconciled on reload: a changed
runbook gets the next version (author "config"), an unchanged one writes
nothing, one removed from the file is deleted. A service made over the API is
linked by its id."""

from __future__ import annotations

from catalogrows import add_service
import runbookkit
from runbookkit import events_of

start_api = runbookkit.start_api   # the fixture: the in-process daemon

FILE = """\
monitors:
  - {key: pg-tcp, type: tcp, url: "tcp://127.0.0.1:9", interval: 1h}
heartbeats:
  - {key: backup, period: 1d}
runbooks:
  postgres-down:
    title: Postgres is down
    body: The primary is db1.
    steps: [Check the disk, Fail over]
    tags: [database]
    linked_to: {monitors: [pg-tcp], heartbeats: [backup]}
  redis-down:
    title: Redis is down
    steps: [Restart redis]
"""


async def test_it_reconciles_the_files_runbooks(start_api):
    api = await start_api(FILE)
    _, _, monitors = await api.request("GET", "/api/monitors")
    _, _, beats = await api.request("GET", "/api/heartbeats")
    _, _, listed = await api.request("GET", "/api/runbooks")
    by_title = {item["title"]: item for item in listed["data"]}
    postgres = by_title["Postgres is down"]
    assert (postgres["managed_by"], postgres["version"], postgres["steps"], postgres["body"]) == (
        "config", 1, ["Check the disk", "Fail over"], "The primary is db1.")
    assert postgres["linked_to"] == sorted([monitors["data"][0]["id"], beats["data"][0]["id"]])
    _, _, first = await api.request("GET", f"/api/runbooks/{postgres['id']}/versions/1")
    assert first["author"] == "config"

    status, _, refused = await api.request("PATCH", f"/api/runbooks/{postgres['id']}", json={"title": "x"})
    assert status == 409 and refused["error"]["code"] == "managed_by_config", refused
    assert str(api.config_path) in refused["error"]["message"] and "'postgres-down'" in refused["error"]["message"]
    status, _, refused = await api.request("DELETE", f"/api/runbooks/{postgres['id']}")
    assert status == 409 and refused["error"]["code"] == "managed_by_config"

    assert await api.daemon.reload()  # the same file: nothing written
    _, _, same = await api.request("GET", f"/api/runbooks/{postgres['id']}")
    assert same == postgres
    assert [kind for kind, _ in await events_of(api, "runbook.")] == ["runbook.created", "runbook.created"]

    api.config_path.write_text(api.config_path.read_text()
                               .replace("[Check the disk, Fail over]", "[Check the disk, Fail over to db2]")
                               .replace("  redis-down:\n    title: Redis is down\n    steps: [Restart redis]\n", ""))
    assert await api.daemon.reload()
    _, _, changed = await api.request("GET", f"/api/runbooks/{postgres['id']}")
    assert (changed["version"], changed["steps"]) == (2, ["Check the disk", "Fail over to db2"])
    _, _, second = await api.request("GET", f"/api/runbooks/{postgres['id']}/versions/2")
    assert (second["author"], second["steps"][1]) == ("config", "Fail over to db2")
    _, _, kept = await api.request("GET", f"/api/runbooks/{postgres['id']}/versions/1")
    assert kept["steps"] == ["Check the disk", "Fail over"]
    status, _, _ = await api.request("GET", f"/api/runbooks/{by_title['Redis is down']['id']}")
    assert status == 404
    assert [kind for kind, _ in await events_of(api, "runbook.")] == [
        "runbook.created", "runbook.created", "runbook.updated", "runbook.deleted"]


async def test_a_file_runbook_links_a_service_made_over_the_api_by_id(start_api, tmp_path):
    """A service made over the API (its row in the state file) is named by its svc_ id."""
    path = tmp_path / "state" / "upstatd.db"
    path.parent.mkdir()
    add_service(str(path), "svc_pg", "postgres")
    api = await start_api(f'storage: {{path: "{path}"}}\n'
                          "runbooks:\n  pg:\n    title: Postgres is down\n    steps: [Fail over]\n"
                          "    linked_to: {services: [svc_pg]}\n")
    _, _, listed = await api.request("GET", "/api/runbooks?linked_to=svc_pg")
    (runbook,) = listed["data"]
    assert (runbook["title"], runbook["linked_to"], runbook["managed_by"]) == ("Postgres is down", ["svc_pg"],
                                                                               "config")
