"""At most one policy is the default (what store/on_call.py `default_policy()`
reads for subjects that name none): is_default true on one unsets it on the
other in the same transaction, that one's escalation_policy.updated event
beside it. A default set by the config file is the file's: an API policy cannot
take it (409 naming the file)."""

from __future__ import annotations

import sqlite3

import policykit
from policykit import seed
from upstatd.store.on_call import default_policy

STEPS = [{"wait_seconds": 0, "targets": [{"type": "user", "id": "usr_anna"}]}]

start_api = policykit.start_api   # the fixture: the in-process daemon


def stored_default(api) -> str | None:
    conn = sqlite3.connect(api.db_path)
    try:
        return default_policy(conn)
    finally:
        conn.close()


async def test_it_moves_the_default_from_one_policy_to_the_next(start_api, tmp_path):
    api = await start_api(seed(tmp_path))
    _, _, first = await api.request("POST", "/api/escalation-policies",
                                    json={"name": "first", "steps": STEPS, "is_default": True})
    assert first["is_default"] and stored_default(api) == first["id"]
    _, _, second = await api.request("POST", "/api/escalation-policies", json={"name": "second", "steps": STEPS})
    assert not second["is_default"] and stored_default(api) == first["id"]

    status, _, second = await api.request("PATCH", f"/api/escalation-policies/{second['id']}",
                                          json={"is_default": True})
    assert status == 200 and second["is_default"] and stored_default(api) == second["id"]
    _, _, first_now = await api.request("GET", f"/api/escalation-policies/{first['id']}")
    assert first_now["is_default"] is False

    _, _, events = await api.request("GET", "/api/events?type=escalation_policy.updated")
    assert [(event["data"]["object"]["id"], event["data"]["object"]["is_default"]) for event in events["data"]] == \
        [(second["id"], True), (first["id"], False)]

    status, _, third = await api.request("POST", "/api/escalation-policies",
                                         json={"name": "third", "steps": STEPS, "is_default": True})
    assert status == 201 and stored_default(api) == third["id"]
    _, _, listed = await api.request("GET", "/api/escalation-policies")
    assert [item["name"] for item in listed["data"] if item["is_default"]] == ["third"]


async def test_the_config_files_default_stays_the_files(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + """\
escalation_policies:
  - key: ops
    default: true
    steps: [{targets: [{user: usr_anna}]}]
""")
    _, _, listed = await api.request("GET", "/api/escalation-policies")
    ops = listed["data"][0]
    assert ops["is_default"] and stored_default(api) == ops["id"]
    status, _, refused = await api.request("POST", "/api/escalation-policies",
                                           json={"name": "mine", "steps": STEPS, "is_default": True})
    assert status == 409 and refused["error"]["param"] == "is_default", refused
    assert str(api.config_path) in refused["error"]["message"] and "'ops'" in refused["error"]["message"]
    assert stored_default(api) == ops["id"]
    _, _, listed = await api.request("GET", "/api/escalation-policies")
    assert [item["key"] for item in listed["data"]] == ["ops"]   # the refused one was not made either
