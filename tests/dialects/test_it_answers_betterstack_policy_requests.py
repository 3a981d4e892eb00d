"""Better Stack's escalation policies (/api/v3/policies): made, read, listed, changed and
deleted through upstatd's policy commands (the same policy in /api/escalation-policies);
steps of type escalation mapped, branching steps and member types upstatd lacks refused
naming them; a policy of the config file refused as /api refuses it."""

from __future__ import annotations

CONFIG = """\
people:
  - key: ana
    name: Ana Lima
    email: ana@example.com
escalation_policies:
  - key: night
    name: Night shift
    steps:
      - {wait: 0s, targets: [{user: ana}]}
"""
ATTRIBUTES = {"name", "repeat_count", "repeat_delay", "incident_token", "policy_group_id", "team_name", "steps"}


async def test_a_policy_is_created_read_changed_and_deleted(start_api):
    api = await start_api(CONFIG)
    _, _, people = await api.request("GET", "/api/people")
    ana = people["data"][0]["id"]
    _, _, schedule = await api.request("POST", "/api/on-call", json={"name": "Primary"})

    status, _, made = await api.request("POST", "/api/v3/policies", json={
        "name": "Critical", "repeat_count": 3, "repeat_delay": 60, "policy_group_id": None,
        "steps": [{"type": "escalation", "wait_before": 0, "urgency_id": 123,
                   "step_members": [{"type": "current_on_call"}]},
                  {"type": "escalation", "wait_before": 180, "step_members": [
                      {"type": "user", "id": "ana@example.com"}, {"type": "current_on_call", "id": schedule["id"]}]}]})
    assert status == 201, made
    policy_id = made["data"]["id"]
    assert made["data"] == {"id": policy_id, "type": "policy", "attributes": {
        "name": "Critical", "repeat_count": 3, "repeat_delay": 60, "incident_token": None, "policy_group_id": None,
        "team_name": None, "steps": [
            {"type": "escalation", "wait_before": 0, "urgency_id": None,
             "step_members": [{"type": "current_on_call", "id": schedule["id"]}]},  # no id: the default calendar
            {"type": "escalation", "wait_before": 180, "urgency_id": None,
             "step_members": [{"type": "user", "id": ana}, {"type": "current_on_call", "id": schedule["id"]}]}]}}
    _, _, ours = await api.request("GET", f"/api/escalation-policies/{policy_id}")
    assert (ours["name"], ours["repeat"], ours["repeat_delay_seconds"]) == ("Critical", 3, 60)
    assert ours["steps"] == [{"wait_seconds": 0, "targets": [{"type": "current_on_call", "id": schedule["id"]}]},
                             {"wait_seconds": 180, "targets": [{"type": "user", "id": ana},
                                                               {"type": "current_on_call", "id": schedule["id"]}]}]

    status, _, listed = await api.request("GET", "/api/v3/policies")
    assert status == 200 and [item["id"] for item in listed["data"]][1:] == [policy_id], listed
    night = listed["data"][0]  # the config file's, made first
    assert night["attributes"]["name"] == "Night shift" and set(night["attributes"]) == ATTRIBUTES
    assert listed["pagination"]["next"] is None
    status, _, read = await api.request("GET", f"/api/v3/policies/{policy_id}")
    assert status == 200 and read == made, read

    status, _, changed = await api.request("PATCH", f"/api/v3/policies/{policy_id}", json={
        "name": "Critical (EU)", "steps": [{"type": "escalation", "wait_before": 30,
                                            "step_members": [{"type": "user", "id": ana}]}]})
    assert status == 200, changed
    assert changed["data"]["attributes"]["name"] == "Critical (EU)"
    assert changed["data"]["attributes"]["steps"] == [
        {"type": "escalation", "wait_before": 30, "urgency_id": None, "step_members": [{"type": "user", "id": ana}]}]
    assert changed["data"]["attributes"]["repeat_count"] == 3  # not given: kept

    status, _, answer = await api.request("PATCH", f"/api/v3/policies/{night['id']}", json={"name": "Day"})
    assert status == 409 and "config file" in answer["errors"], answer
    status, _, answer = await api.request("DELETE", f"/api/v3/policies/{night['id']}")
    assert status == 409 and "config file" in answer["errors"], answer

    status, _, _ = await api.request("DELETE", f"/api/v3/policies/{policy_id}")
    assert status == 204
    status, _, answer = await api.request("GET", f"/api/v3/policies/{policy_id}")
    assert status == 404 and isinstance(answer["errors"], str), answer


async def test_what_upstatd_has_no_counterpart_for_is_refused_naming_the_field(start_api):
    api = await start_api(CONFIG)
    step = {"type": "escalation", "wait_before": 0, "step_members": [{"type": "user", "id": "ana@example.com"}]}
    for body, field in (
            ({"steps": [{**step, "type": "time_branching", "timezone": "UTC", "days": ["mon"]}]}, "steps.0.type"),
            ({"steps": [step, {**step, "type": "metadata_branching"}]}, "steps.1.type"),
            ({"steps": [{**step, "step_members": [{"type": "entire_team"}]}]}, "steps.0.step_members.0.type"),
            ({"steps": [{**step, "step_members": [{"type": "all_slack_integrations"}]}]},
             "steps.0.step_members.0.type"),
            ({"steps": [{**step, "step_members": [{"type": "user", "id": "usr_nobody"}]}]},
             "steps.0.step_members.0.id"),
            ({"steps": [{**step, "step_members": [{"type": "current_on_call"}]}]},
             "steps.0.step_members.0.id"),  # no schedule: no default calendar
            ({"steps": [{**step, "wait_before": 8 * 86400}]}, "steps.0.wait_before"),
            ({"steps": [step], "repeat_count": 99}, "repeat_count"),
            ({"steps": [step], "incident_token": "abc"}, "incident_token"),
            ({"steps": []}, "steps"),
            ({"name": ""}, "name")):
        status, _, answer = await api.request("POST", "/api/v3/policies", json={"name": "P", "steps": [step], **body})
        assert status == 422 and list(answer["errors"]) == [field], (body, answer)
    status, _, answer = await api.request("POST", "/api/v3/policies", json={"steps": [step]})
    assert status == 422 and list(answer["errors"]) == ["name"], answer
    reader = await api.make_token("on_call:read")
    status, _, answer = await api.request("POST", "/api/v3/policies", token=reader, json={})
    assert status == 403 and "on_call:create" in answer["errors"], answer
