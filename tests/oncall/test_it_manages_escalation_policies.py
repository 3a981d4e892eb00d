"""/api/escalation-policies over real HTTP to the in-process daemon: a policy is
created with its targets given by id or config key and read back as ids (what
store/on_call.py `policies()` reads for escalation), listed, changed (steps given
replace the stored ones) and deleted, each with its escalation_policy.* event.
Policies of the config file are read-only (409 naming the file)."""

from __future__ import annotations

import sqlite3

import policykit
from policykit import seed
from upstatd.oncall.escalation import Policy, Step, Target
from upstatd.store.on_call import policies

FILE_POLICY = """\
escalation_policies:
  - key: night
    name: Night shift
    steps:
      - {wait: 0s, targets: [{current_on_call: sch_ops}]}
      - {wait: 10m, targets: [{channel: mail}]}
"""

start_api = policykit.start_api   # the fixture: the in-process daemon


async def test_it_creates_lists_changes_and_deletes_policies(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + FILE_POLICY)
    _, _, channels = await api.request("GET", "/api/alert-channels")
    mail = channels["data"][0]["id"]

    status, _, made = await api.request("POST", "/api/escalation-policies", json={
        "name": "Ops", "steps": [
            {"wait_seconds": 0, "targets": [{"type": "current_on_call", "id": "sch_ops"}]},
            {"wait_seconds": 600, "targets": [{"type": "schedule_members", "id": "sch_ops"},
                                              {"type": "channel", "id": "mail"}]},
            {"wait_seconds": 1200, "targets": [{"type": "user", "id": "usr_anna"}]}],
        "repeat": 2, "repeat_delay_seconds": 600, "metadata": {"team": "ops"}})
    assert status == 201, made
    assert made["id"].startswith("esc_") and made["object"] == "escalation_policy"
    assert made["steps"][1] == {"wait_seconds": 600, "targets": [{"type": "schedule_members", "id": "sch_ops"},
                                                                 {"type": "channel", "id": mail}]}
    assert (made["repeat"], made["repeat_delay_seconds"], made["is_default"], made["managed_by"], made["key"]) == \
        (2, 600, False, "api", None)

    conn = sqlite3.connect(api.db_path)
    try:  # what escalation reads: the core's Policy, every target an id
        assert policies(conn)[made["id"]] == Policy((
            Step(0.0, (Target("current_on_call", "sch_ops"),)),
            Step(600.0, (Target("schedule_members", "sch_ops"), Target("channel", mail))),
            Step(1200.0, (Target("user", "usr_anna"),))), 2, 600.0)
    finally:
        conn.close()

    status, _, listed = await api.request("GET", "/api/escalation-policies")
    assert status == 200 and [item["name"] for item in listed["data"]] == ["Ops", "Night shift"]
    night = listed["data"][1]
    assert night["key"] == "night" and night["managed_by"] == "config"
    assert night["steps"][1]["targets"] == [{"type": "channel", "id": mail}]
    status, _, got = await api.request("GET", f"/api/escalation-policies/{made['id']}")
    assert status == 200 and got == made

    status, _, changed = await api.request("PATCH", f"/api/escalation-policies/{made['id']}", json={
        "name": "Ops (day)", "steps": [{"wait_seconds": 300, "targets": [{"type": "user", "id": "usr_bob"}]}],
        "metadata": {"tier": "1"}})
    assert status == 200, changed
    assert changed["steps"] == [{"wait_seconds": 300, "targets": [{"type": "user", "id": "usr_bob"}]}]
    assert (changed["name"], changed["repeat"], changed["metadata"]) == ("Ops (day)", 2, {"team": "ops", "tier": "1"})
    status, _, same = await api.request("PUT", f"/api/escalation-policies/{made['id']}", json={"name": "Ops (day)"})
    assert status == 200 and same == changed

    status, _, _ = await api.request("DELETE", f"/api/escalation-policies/{made['id']}")
    assert status == 204
    status, _, gone = await api.request("GET", f"/api/escalation-policies/{made['id']}")
    assert status == 404 and gone["error"]["param"] == "id"

    _, _, events = await api.request("GET", "/api/events?limit=100")
    mine = [(event["type"], event["data"]["object"]["id"]) for event in events["data"]
            if event["type"].startswith("escalation_policy.")]
    assert mine == [("escalation_policy.deleted", made["id"]), ("escalation_policy.updated", made["id"]),
                    ("escalation_policy.created", made["id"]), ("escalation_policy.created", night["id"])]


async def test_it_keeps_config_policies_read_only(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + FILE_POLICY)
    _, _, listed = await api.request("GET", "/api/escalation-policies")
    night = listed["data"][0]["id"]
    for method, body in (("PATCH", {"name": "x"}), ("DELETE", None)):
        status, _, refused = await api.request(method, f"/api/escalation-policies/{night}", json=body)
        assert status == 409 and refused["error"]["code"] == "managed_by_config", refused
        assert str(api.config_path) in refused["error"]["message"] and "'night'" in refused["error"]["message"]
