"""A status page's sections and resources over the API: a resource shows one
monitor or heartbeat, named by id or by config key, with its public name
(default: the subject's name), in a section or outside any; positions default
to after the last. Each change is the page's `status_page.updated` event,
with the reason. Refusals name their param: not exactly one subject (422),
an unknown subject (group_id too) or section (422), a subject
shown twice (409), another page's section (404)."""

from __future__ import annotations

from upstatd.clock import FakeClock

NOW = 1_800_000_000
HEARTBEATS = """
    heartbeats:
      - {key: nightly, name: Nightly backup, period: 1d}
"""


async def setup(start_api):
    api = await start_api(HEARTBEATS, clock=FakeClock(wall=NOW))
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Acme", "slug": "acme"})
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "tcp", "url": "tcp://127.0.0.1:9"})
    return api, page, monitor, f"/api/status-pages/{page['id']}"


def refused(answer: dict) -> tuple[str, str | None]:
    return answer["error"]["type"], answer["error"]["param"]


async def test_it_adds_sections_and_resources_in_order(start_api):
    api, page, monitor, path = await setup(start_api)
    _, _, first = await api.request("POST", f"{path}/sections", json={"name": "Website"})
    status, _, second = await api.request("POST", f"{path}/sections", json={"name": "Jobs"})
    assert status == 201, second
    assert second == {"id": second["id"], "object": "status_page_section", "status_page_id": page["id"],
                      "name": "Jobs", "position": 1, "metadata": {}, "created_at": NOW, "updated_at": NOW}
    assert second["id"].startswith("sps_") and first["position"] == 0

    status, _, shop = await api.request("POST", f"{path}/resources", json={
        "monitor_id": monitor["id"], "section_id": first["id"]})
    assert status == 201, shop
    assert shop == {"id": shop["id"], "object": "status_page_resource", "status_page_id": page["id"],
                    "section_id": first["id"], "position": 0, "kind": "monitor", "monitor_id": monitor["id"],
                    "heartbeat_id": None, "group_id": None, "public_name": "Shop", "show_uptime": True,
                    "metadata": {}, "created_at": NOW, "updated_at": NOW}
    status, _, backup = await api.request("POST", f"{path}/resources", json={
        "heartbeat_id": "nightly", "public_name": "Backups", "show_uptime": False})  # a config key
    assert status == 201, backup
    _, _, listed = await api.request("GET", "/api/heartbeats")
    assert (backup["kind"], backup["heartbeat_id"], backup["section_id"], backup["public_name"],
            backup["show_uptime"]) == ("heartbeat", listed["data"][0]["id"], None, "Backups", False)

    status, _, moved = await api.request("PATCH", f"{path}/resources/{backup['id']}", json={
        "section_id": second["id"], "position": 5})
    assert status == 200 and (moved["section_id"], moved["position"]) == (second["id"], 5), moved
    status, _, renamed = await api.request("PUT", f"{path}/sections/{first['id']}", json={"name": "Web"})
    assert status == 200 and (renamed["name"], renamed["position"]) == ("Web", 0)

    _, _, in_jobs = await api.request("GET", f"{path}/resources?section_id={second['id']}")
    assert [item["id"] for item in in_jobs["data"]] == [backup["id"]]
    _, _, every = await api.request("GET", f"{path}/sections")
    assert [item["name"] for item in every["data"]] == ["Jobs", "Web"]  # newest first
    status, _, got = await api.request("GET", f"{path}/resources/{shop['id']}")
    assert status == 200 and got == shop

    # a section deleted: its resources stay, outside any section
    assert (await api.request("DELETE", f"{path}/sections/{second['id']}"))[0] == 204
    _, _, kept = await api.request("GET", f"{path}/resources/{backup['id']}")
    assert kept["section_id"] is None
    assert (await api.request("DELETE", f"{path}/resources/{shop['id']}"))[0] == 204
    status, _, gone = await api.request("GET", f"{path}/resources/{shop['id']}")
    assert status == 404 and gone["error"]["param"] == "resource_id"

    _, _, events = await api.request("GET", "/api/events?type=status_page.updated&limit=100")
    assert [event["data"]["reason"] for event in reversed(events["data"])] == [
        "section.created", "section.created", "resource.created", "resource.created", "resource.updated",
        "section.updated", "section.deleted", "resource.deleted"]
    assert events["data"][0]["data"]["object"]["id"] == page["id"]


async def test_it_refuses_what_it_cannot_show(start_api):
    api, page, monitor, path = await setup(start_api)
    cases = [
        ({}, 422, "monitor_id", "exactly one of monitor_id, heartbeat_id, group_id"),
        ({"monitor_id": monitor["id"], "heartbeat_id": "nightly"}, 422, "heartbeat_id", "exactly one"),
        ({"group_id": "grp_1"}, 422, "group_id", "no group with id 'grp_1'"),
        ({"monitor_id": "mon_nothing"}, 422, "monitor_id", "no monitor with id or key 'mon_nothing'"),
        ({"heartbeat_id": monitor["id"]}, 422, "heartbeat_id", "no heartbeat"),
        ({"monitor_id": monitor["id"], "section_id": "sps_nothing"}, 422, "section_id", "no section"),
        ({"monitor_id": monitor["id"], "position": -1}, 422, "position", "between 0 and 1000000"),
        ({"monitor_id": monitor["id"], "colour": "red"}, 400, "colour", "not a known parameter"),
    ]
    for body, status, param, words in cases:
        answer_status, _, answer = await api.request("POST", f"{path}/resources", json=body)
        assert (answer_status, refused(answer)) == (status, ("invalid_request_error", param)), (body, answer)
        assert words in answer["error"]["message"], (body, answer)

    assert (await api.request("POST", f"{path}/resources", json={"monitor_id": monitor["id"]}))[0] == 201
    status, _, answer = await api.request("POST", f"{path}/resources", json={"monitor_id": monitor["id"]})
    assert (status, answer["error"]["code"], answer["error"]["param"]) == (409, "resource_exists", "monitor_id")

    _, _, other = await api.request("POST", "/api/status-pages", json={"name": "Other", "slug": "other"})
    _, _, section = await api.request("POST", f"/api/status-pages/{other['id']}/sections", json={"name": "S"})
    status, _, answer = await api.request("GET", f"{path}/sections/{section['id']}")
    assert (status, answer["error"]["param"]) == (404, "section_id")
    status, _, answer = await api.request("GET", f"/api/status-pages/stp_nothing/sections")
    assert (status, answer["error"]["param"]) == (404, "id")
