"""Metadata on a status page's sections, resources and reports, by the API's
rules (upstatd/metadata.py): set at creation, merged by an update ("" removes
a key), kept across a restart of the daemon, and a bad value a 400 or 422
naming metadata.<key>."""

from __future__ import annotations

import pytest

from upstatd.clock import FakeClock

NOW = 1_800_000_000
CHILDREN = ["sections", "resources", "reports"]


async def setup(api) -> tuple[str, dict]:
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Acme", "slug": "acme"})
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "tcp", "url": "tcp://127.0.0.1:9"})
    return f"/api/status-pages/{page['id']}", {
        "sections": {"name": "Web"}, "resources": {"monitor_id": monitor["id"]},
        "reports": {"title": "Slow", "message": "Looking."}}


@pytest.mark.parametrize("children", CHILDREN)
async def test_it_sets_merges_and_removes_keys(start_api, children):
    api = await start_api(clock=FakeClock(wall=NOW))
    path, bodies = await setup(api)
    status, _, made = await api.request("POST", f"{path}/{children}", json={
        **bodies[children], "metadata": {"team": "ops", "ticket": "T-1"}})
    assert status == 201 and made["metadata"] == {"team": "ops", "ticket": "T-1"}, made
    one = f"{path}/{children}/{made['id']}"
    status, _, changed = await api.request("PATCH", one, json={"metadata": {"ticket": "", "owner": "ana"}})
    assert status == 200 and changed["metadata"] == {"team": "ops", "owner": "ana"}, changed
    assert changed["updated_at"] == NOW
    _, _, read = await api.request("GET", one)
    assert read["metadata"] == {"team": "ops", "owner": "ana"}
    _, _, listed = await api.request("GET", f"{path}/{children}")
    assert listed["data"][0]["metadata"] == {"team": "ops", "owner": "ana"}

    # the same metadata again changes nothing: no event
    _, _, before = await api.request("GET", "/api/events?limit=100")
    status, _, _ = await api.request("PATCH", one, json={"metadata": {"team": "ops"}})
    _, _, after = await api.request("GET", "/api/events?limit=100")
    assert status == 200 and len(after["data"]) == len(before["data"])


@pytest.mark.parametrize("children", CHILDREN)
@pytest.mark.parametrize("given, status, param", [
    ({"k": 1}, 400, "metadata.k"),
    ({"k" * 41: "v"}, 422, "metadata." + "k" * 41),
    ({"k": "v" * 501}, 422, "metadata.k"),
    ("labels", 400, "metadata"),
])
async def test_it_names_the_bad_key(start_api, children, given, status, param):
    api = await start_api(clock=FakeClock(wall=NOW))
    path, bodies = await setup(api)
    answer_status, _, answer = await api.request("POST", f"{path}/{children}",
                                                 json={**bodies[children], "metadata": given})
    assert (answer_status, answer["error"]["param"]) == (status, param), answer
    _, _, made = await api.request("POST", f"{path}/{children}", json=bodies[children])
    answer_status, _, answer = await api.request("PATCH", f"{path}/{children}/{made['id']}",
                                                 json={"metadata": given})
    assert (answer_status, answer["error"]["param"]) == (status, param), answer


async def test_it_keeps_them_across_a_restart(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    path, bodies = await setup(api)
    made = {}
    for children in CHILDREN:
        _, _, made[children] = await api.request("POST", f"{path}/{children}", json={
            **bodies[children], "metadata": {"kind": children}})
    await api.daemon.stop()
    again = await start_api(f'storage: {{path: "{api.db_path}"}}', clock=FakeClock(wall=NOW))
    for children in CHILDREN:
        status, _, read = await again.request("GET", f"{path}/{children}/{made[children]['id']}",
                                              token=api.admin_token)
        assert status == 200 and read["metadata"] == {"kind": children}, read
