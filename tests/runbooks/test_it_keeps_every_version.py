"""Every edit of a runbook keeps the version before it readable: after a change
of its steps, GET /api/runbooks/{id}/versions/1 still answers the first steps,
/versions lists both newest first (pages by version number), each with its
author (the token's name); a version that does not exist is a 404 naming it."""

from __future__ import annotations

import runbookkit
from runbookkit import POSTGRES, make_runbook

start_api = runbookkit.start_api   # the fixture: the in-process daemon


async def test_an_edit_keeps_version_1_readable(start_api):
    api = await start_api()
    editor = await api.make_token("runbooks:*", name="ops-token")
    made = await make_runbook(api)
    status, _, changed = await api.request("PATCH", f"/api/runbooks/{made['id']}", token=editor, json={
        "title": "Postgres is down (primary)", "steps": ["Fail over to db2"]})
    assert status == 200 and changed["version"] == 2, changed

    status, _, first = await api.request("GET", f"/api/runbooks/{made['id']}/versions/1")
    assert status == 200, first
    assert (first["object"], first["runbook_id"], first["version"]) == ("runbook_version", made["id"], 1)
    assert (first["title"], first["steps"], first["body"], first["tags"]) == (
        POSTGRES["title"], POSTGRES["steps"], POSTGRES["body"], POSTGRES["tags"])
    assert first["author"] == "admin"
    status, _, second = await api.request("GET", f"/api/runbooks/{made['id']}/versions/2")
    assert status == 200 and (second["title"], second["steps"], second["author"]) == (
        "Postgres is down (primary)", ["Fail over to db2"], "ops-token")

    status, _, listed = await api.request("GET", f"/api/runbooks/{made['id']}/versions")
    assert status == 200 and [item["version"] for item in listed["data"]] == [2, 1]
    assert listed["url"] == f"/api/runbooks/{made['id']}/versions"
    _, _, older = await api.request("GET", f"/api/runbooks/{made['id']}/versions?limit=1&starting_after=2")
    assert [item["version"] for item in older["data"]] == [1] and older["has_more"] is False
    _, _, newer = await api.request("GET", f"/api/runbooks/{made['id']}/versions?limit=1&ending_before=1")
    assert [item["version"] for item in newer["data"]] == [2]

    status, _, missing = await api.request("GET", f"/api/runbooks/{made['id']}/versions/3")
    assert status == 404 and missing["error"]["param"] == "version", missing
    status, _, bad = await api.request("GET", f"/api/runbooks/{made['id']}/versions/first")
    assert status == 400 and bad["error"]["param"] == "version", bad
