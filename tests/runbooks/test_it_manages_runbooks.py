"""/api/runbooks over real HTTP to the in-process daemon: a runbook is created
(version 1, linked to a monitor that exists), read, listed with the `tag` and
`linked_to` filters, changed and deleted, each with its runbook.* event; a link
that names nothing is a 422 naming linked_to, and a change that changes nothing
writes nothing."""

from __future__ import annotations

import runbookkit
from runbookkit import POSTGRES, events_of, make_runbook

start_api = runbookkit.start_api   # the fixture: the in-process daemon


async def test_it_creates_lists_changes_and_deletes_runbooks(start_api):
    api = await start_api()
    _, _, monitor = await api.request("POST", "/api/monitors", json={"type": "tcp", "url": "tcp://127.0.0.1:9"})

    made = await make_runbook(api, linked_to=[monitor["id"]], metadata={"team": "db"})
    assert made["id"].startswith("rbk_") and made["object"] == "runbook"
    assert (made["title"], made["body"], made["steps"], made["tags"]) == (
        POSTGRES["title"], POSTGRES["body"], POSTGRES["steps"], ["database"])
    assert (made["linked_to"], made["version"], made["managed_by"], made["metadata"]) == (
        [monitor["id"]], 1, "api", {"team": "db"})
    other = await make_runbook(api, title="Redis is down", steps=["Restart redis"], tags=["cache"])

    status, _, got = await api.request("GET", f"/api/runbooks/{made['id']}")
    assert status == 200 and got == made
    status, _, listed = await api.request("GET", "/api/runbooks")
    assert status == 200 and [item["id"] for item in listed["data"]] == [other["id"], made["id"]]
    _, _, tagged = await api.request("GET", "/api/runbooks?tag=database")
    assert [item["id"] for item in tagged["data"]] == [made["id"]]
    _, _, linked = await api.request("GET", f"/api/runbooks?linked_to={monitor['id']}")
    assert [item["id"] for item in linked["data"]] == [made["id"]]
    _, _, paged = await api.request("GET", f"/api/runbooks?limit=1&starting_after={other['id']}")
    assert [item["id"] for item in paged["data"]] == [made["id"]] and paged["has_more"] is False

    status, _, changed = await api.request("PATCH", f"/api/runbooks/{made['id']}", json={
        "steps": ["Check the disk on db1", "Fail over to db2 (patronictl failover)"], "metadata": {"tier": "1"}})
    assert status == 200, changed
    assert changed["version"] == 2 and changed["steps"][1] == "Fail over to db2 (patronictl failover)"
    assert changed["metadata"] == {"team": "db", "tier": "1"} and changed["title"] == POSTGRES["title"]
    status, _, same = await api.request("PUT", f"/api/runbooks/{made['id']}", json={"title": POSTGRES["title"]})
    assert status == 200 and same == changed  # nothing changed: no version, no event
    status, _, unlinked = await api.request("PATCH", f"/api/runbooks/{made['id']}", json={"linked_to": []})
    assert status == 200 and unlinked["linked_to"] == [] and unlinked["version"] == 2  # links keep the version

    status, _, _ = await api.request("DELETE", f"/api/runbooks/{made['id']}")
    assert status == 204
    status, _, gone = await api.request("GET", f"/api/runbooks/{made['id']}")
    assert status == 404 and gone["error"]["param"] == "id"
    status, _, gone = await api.request("GET", f"/api/runbooks/{made['id']}/versions")
    assert status == 404

    mine = [(kind, data["object"]["id"], data["object"]["version"]) for kind, data in await events_of(api, "runbook.")]
    assert mine == [("runbook.created", made["id"], 1), ("runbook.created", other["id"], 1),
                    ("runbook.updated", made["id"], 2), ("runbook.updated", made["id"], 2),
                    ("runbook.deleted", made["id"], 2)]


async def test_it_refuses_links_to_nothing_and_bad_steps(start_api):
    api = await start_api()
    for body, param in (({"linked_to": ["mon_" + "0" * 22]}, "linked_to"),
                        ({"linked_to": ["svc_nothing"]}, "linked_to"),
                        ({"steps": []}, "steps"),
                        ({"steps": ["ok", "   "]}, "steps.1"),
                        ({"title": ""}, "title")):
        status, _, answer = await api.request("POST", "/api/runbooks", json={**POSTGRES, **body})
        assert status == 422, (body, answer)
        assert answer["error"]["param"] == param, (body, answer)
    status, _, answer = await api.request("POST", "/api/runbooks", json={**POSTGRES, "owner": "me"})
    assert status == 400 and answer["error"]["param"] == "owner"
    _, _, listed = await api.request("GET", "/api/runbooks")
    assert listed["data"] == []
