"""A monitor's or heartbeat's `escalation_policy`: in the file a policy key (or an
esc_ id), over the API an esc_ id (or a config key), shown as the id, and stored
as the id in the subjects' escalation_policy column, which escalation reads;
null: the default policy. One naming no policy is a 422 naming the param. A
policy that subjects name cannot be deleted (409 naming them); a reload that
moves a subject to another policy moves the column with it; a config policy
removed from the file while API subjects name it is kept until they do not."""

from __future__ import annotations

import pytest

import policykit
from policykit import column, seed

FILE = """\
monitors:
  - {key: web, type: http, url: "http://127.0.0.1:9/", escalation_policy: night}
  - {key: db, type: tcp, url: "tcp://127.0.0.1:9"}
heartbeats:
  - {key: backup, period: 1d, escalation_policy: night}
escalation_policies:
  - key: night
    steps: [{targets: [{current_on_call: sch_ops}]}]
  - key: day
    steps: [{targets: [{user: usr_anna}]}]
"""
STEPS = [{"wait_seconds": 0, "targets": [{"type": "user", "id": "usr_bob"}]}]
SUBJECTS = [("monitors", {"type": "http", "url": "http://127.0.0.1:9/x"}), ("heartbeats", {"period_seconds": 3600})]

start_api = policykit.start_api   # the fixture: the in-process daemon


@pytest.fixture
async def api(start_api, tmp_path):
    return await start_api(seed(tmp_path) + FILE)


async def policy_ids(api) -> dict[str, str]:
    _, _, listed = await api.request("GET", "/api/escalation-policies")
    return {item["key"]: item["id"] for item in listed["data"]}


async def test_the_files_subjects_name_a_policy_by_key(api):
    ids = await policy_ids(api)
    _, _, monitors = await api.request("GET", "/api/monitors")
    shown = {item["key"]: item["escalation_policy"] for item in monitors["data"]}
    assert shown == {"web": ids["night"], "db": None}
    _, _, beats = await api.request("GET", "/api/heartbeats")
    [beat] = beats["data"]
    assert beat["escalation_policy"] == ids["night"]
    assert column(api.db_path, "heartbeats", beat["id"]) == ids["night"]
    web = next(item for item in monitors["data"] if item["key"] == "web")
    assert column(api.db_path, "monitors", web["id"]) == ids["night"]

    api.config_path.write_text(api.config_path.read_text().replace(", escalation_policy: night}", ", "
                                                                   "escalation_policy: day}", 1))
    assert await api.daemon.reload()
    assert column(api.db_path, "monitors", web["id"]) == ids["day"]
    assert column(api.db_path, "heartbeats", beat["id"]) == ids["night"]


@pytest.mark.parametrize("table, body", SUBJECTS, ids=[table for table, _ in SUBJECTS])
async def test_the_api_sets_changes_and_clears_a_subjects_policy(api, table, body):
    ids = await policy_ids(api)
    status, _, made = await api.request("POST", f"/api/{table}", json={**body, "escalation_policy": "day"})
    assert status == 201, made
    assert made["escalation_policy"] == ids["day"] and column(api.db_path, table, made["id"]) == ids["day"]
    status, _, changed = await api.request("PATCH", f"/api/{table}/{made['id']}",
                                           json={"escalation_policy": ids["night"]})
    assert status == 200 and changed["escalation_policy"] == ids["night"], changed
    assert column(api.db_path, table, made["id"]) == ids["night"]
    _, _, got = await api.request("GET", f"/api/{table}/{made['id']}")
    assert got["escalation_policy"] == ids["night"]
    status, _, cleared = await api.request("PATCH", f"/api/{table}/{made['id']}", json={"escalation_policy": None})
    assert status == 200 and cleared["escalation_policy"] is None
    assert column(api.db_path, table, made["id"]) is None


@pytest.mark.parametrize("table, body", SUBJECTS, ids=[table for table, _ in SUBJECTS])
async def test_it_refuses_a_policy_that_does_not_exist(api, table, body):
    status, _, refused = await api.request("POST", f"/api/{table}", json={**body, "escalation_policy": "esc_nope"})
    assert status == 422 and refused["error"]["param"] == "escalation_policy", refused
    assert "no escalation policy with id or key 'esc_nope'" in refused["error"]["message"]
    _, _, listed = await api.request("GET", f"/api/{table}")
    assert len(listed["data"]) == (2 if table == "monitors" else 1)   # nothing was made
    _, _, made = await api.request("POST", f"/api/{table}", json=body)
    status, _, refused = await api.request("PATCH", f"/api/{table}/{made['id']}", json={"escalation_policy": "x"})
    assert status == 422 and refused["error"]["param"] == "escalation_policy", refused


async def test_a_policy_in_use_cannot_be_deleted(api):
    _, _, policy = await api.request("POST", "/api/escalation-policies", json={"name": "mine", "steps": STEPS})
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "http", "url": "http://127.0.0.1:9/y", "name": "shop", "escalation_policy": policy["id"]})
    _, _, beat = await api.request("POST", "/api/heartbeats", json={
        "period_seconds": 3600, "name": "cron", "escalation_policy": policy["id"]})
    status, _, refused = await api.request("DELETE", f"/api/escalation-policies/{policy['id']}")
    assert status == 409 and refused["error"]["code"] == "policy_in_use", refused
    message = refused["error"]["message"]
    assert f"monitor {monitor['id']} (shop)" in message and f"heartbeat {beat['id']} (cron)" in message
    await api.request("PATCH", f"/api/monitors/{monitor['id']}", json={"escalation_policy": None})
    status, _, _ = await api.request("DELETE", f"/api/escalation-policies/{policy['id']}")
    assert status == 409
    await api.request("DELETE", f"/api/heartbeats/{beat['id']}")
    status, _, _ = await api.request("DELETE", f"/api/escalation-policies/{policy['id']}")
    assert status == 204


async def test_a_config_policy_an_api_monitor_names_outlives_its_removal_from_the_file(api):
    ids = await policy_ids(api)
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "http", "url": "http://127.0.0.1:9/z", "escalation_policy": ids["day"]})
    text = api.config_path.read_text()
    api.config_path.write_text(text[:text.index("  - key: day")])
    assert await api.daemon.reload()
    assert await policy_ids(api) == ids   # kept: the API monitor still names it (logged)
    assert column(api.db_path, "monitors", monitor["id"]) == ids["day"]
    await api.request("PATCH", f"/api/monitors/{monitor['id']}", json={"escalation_policy": None})
    assert await api.daemon.reload()
    assert await policy_ids(api) == {"night": ids["night"]}
