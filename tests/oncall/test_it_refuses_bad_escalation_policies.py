"""A policy body the pure core cannot use, or whose targets name nothing, is a 422
naming the API's param (`steps.1.wait_seconds`, `steps.0.targets.1.id`); a wrong
type or an unknown field is a 400 naming it. A person's own channel is not a
shared channel a policy can name."""

from __future__ import annotations

import pytest

import policykit
from policykit import add_personal_channel, seed

ON_CALL = {"type": "current_on_call", "id": "sch_ops"}

start_api = policykit.start_api   # the fixture: the in-process daemon


def step(wait=0, *targets):
    return {"wait_seconds": wait, "targets": list(targets or [ON_CALL])}


# body, status, param, words of the message
CASES = [
    ({"steps": [step()]}, 400, "name", "name"),
    ({"name": "", "steps": [step()]}, 422, "name", "1 to 200 characters"),
    ({"name": "x"}, 400, "steps", "steps"),
    ({"name": "x", "steps": []}, 422, "steps", "1 to 20 steps"),
    ({"name": "x", "steps": [step()] * 21}, 422, "steps", "1 to 20 steps"),
    ({"name": "x", "steps": [step(), step(-1)]}, 422, "steps.1.wait_seconds", "between 0 and 604800"),
    ({"name": "x", "steps": [step(8 * 86400)]}, 422, "steps.0.wait_seconds", "7 days"),
    ({"name": "x", "steps": [{"wait_seconds": 0, "targets": []}]}, 422, "steps.0.targets", "at least one"),
    ({"name": "x", "steps": [step(0, ON_CALL, {"type": "pager", "id": "x"})]}, 422, "steps.0.targets.1.type",
     "'pager' is not one of"),
    ({"name": "x", "steps": [step(0, ON_CALL, {"type": "user", "id": "usr_nobody"})]}, 422,
     "steps.0.targets.1.id", "no person with id or key 'usr_nobody'"),
    ({"name": "x", "steps": [step(0, {"type": "schedule_members", "id": "sch_none"})]}, 422,
     "steps.0.targets.0.id", "no on-call schedule with id or key 'sch_none'"),
    ({"name": "x", "steps": [step(0, {"type": "channel", "id": "ch_nope"})]}, 422, "steps.0.targets.0.id",
     "no shared alert channel with id or key 'ch_nope'"),
    ({"name": "x", "steps": [step(0, {"type": "channel", "id": "ch_bobphone"})]}, 422, "steps.0.targets.0.id",
     "no shared alert channel"),
    ({"name": "x", "steps": [step()], "repeat": 11}, 422, "repeat", "between 0 and 10"),
    ({"name": "x", "steps": [step()], "repeat": 1, "repeat_delay_seconds": 30}, 422, "repeat_delay_seconds",
     "at least 60 s"),
    ({"name": "x", "steps": [step()], "repeat_delay_seconds": "10m"}, 400, "repeat_delay_seconds", ""),
    ({"name": "x", "steps": [{"wait": 0, "targets": [ON_CALL]}]}, 400, "steps.0.wait", ""),
    ({"name": "x", "steps": [step()], "default": True}, 400, "default", ""),
]


@pytest.fixture
async def api(start_api, tmp_path):
    api = await start_api(seed(tmp_path))
    add_personal_channel(api.db_path, "ch_bobphone", "usr_bob")
    return api


@pytest.mark.parametrize("body, status, param, words", CASES, ids=[case[2] + ":" + case[3] for case in CASES])
async def test_it_names_the_param(api, body, status, param, words):
    got, _, refused = await api.request("POST", "/api/escalation-policies", json=body)
    assert got == status, refused
    error = refused["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert words in error["message"], error


async def test_an_update_is_checked_as_a_create(api):
    _, _, made = await api.request("POST", "/api/escalation-policies", json={"name": "x", "steps": [step()]})
    status, _, refused = await api.request("PATCH", f"/api/escalation-policies/{made['id']}",
                                           json={"steps": [step(), step(0, {"type": "user", "id": "usr_x"})]})
    assert status == 422 and refused["error"]["param"] == "steps.1.targets.0.id", refused
    status, _, refused = await api.request("PATCH", f"/api/escalation-policies/{made['id']}", json={"repeat": 3})
    assert status == 422 and refused["error"]["param"] == "repeat_delay_seconds", refused
    _, _, kept = await api.request("GET", f"/api/escalation-policies/{made['id']}")
    assert kept == made
