"""One monitor, seen through both doors: one made in /api/monitors is listed and read in
/api/v2 in Better Stack's shape (and changed there), and one from the config file can be
read and paused there but not edited or deleted (a 409 in Better Stack's envelope)."""

from __future__ import annotations

from loopback import closed_port

PORT = closed_port()


async def test_a_monitor_made_in_the_api_is_one_of_better_stacks(api):
    status, _, ours = await api.request("POST", "/api/monitors", json={
        "type": "http", "name": "Shop", "url": "http://127.0.0.1:9/", "interval_seconds": 120,
        "http": {"expected_status": [200, 204]}})
    assert status == 201, ours
    _, _, listed = await api.request("GET", "/api/v2/monitors")
    assert [item["id"] for item in listed["data"]] == [ours["id"]]
    attributes = listed["data"][0]["attributes"]
    assert (attributes["monitor_type"], attributes["expected_status_codes"], attributes["check_frequency"],
            attributes["pronounceable_name"]) == ("expected_status_code", [200, 204], 120, "Shop")
    status, _, changed = await api.request("PATCH", f"/api/v2/monitors/{ours['id']}",
                                           json={"pronounceable_name": "Shop front"})
    assert status == 200, changed
    _, _, ours = await api.request("GET", f"/api/monitors/{ours['id']}")
    assert ours["name"] == "Shop front" and ours["http"]["expected_status"] == [200, 204]


async def test_a_config_monitor_is_read_and_paused_but_not_edited(start_api):
    api = await start_api("""
        monitors:
          - {key: db, name: Database, type: tcp, url: "tcp://127.0.0.1:%d"}
        """ % PORT)
    _, _, listed = await api.request("GET", "/api/v2/monitors")
    (item,) = listed["data"]
    assert (item["attributes"]["monitor_type"], item["attributes"]["url"], item["attributes"]["port"]) == (
        "tcp", "127.0.0.1", str(PORT))
    status, _, paused = await api.request("PATCH", f"/api/v2/monitors/{item['id']}", json={"paused": True})
    assert status == 200 and paused["data"]["attributes"]["paused"] is True, paused
    for method, body in (("PATCH", {"check_frequency": 30}), ("DELETE", None)):
        status, _, answer = await api.request(method, f"/api/v2/monitors/{item['id']}", json=body)
        assert status == 409 and list(answer) == ["errors"] and "config" in answer["errors"], answer


async def test_pausing_changes_nothing_else_even_of_a_type_better_stack_lacks(start_api):
    api = await start_api("""
        monitors:
          - {key: shop, name: Shop, type: http, url: "http://127.0.0.1:%d/", http: {keyword: open}}
          - {key: cert, name: Cert, type: tls, url: "tls://127.0.0.1:%d"}
        """ % (PORT, PORT))
    _, _, listed = await api.request("GET", "/api/v2/monitors")
    assert [item["attributes"]["monitor_type"] for item in listed["data"]] == ["keyword", "tls"]
    for item in listed["data"]:
        status, _, paused = await api.request("PATCH", f"/api/v2/monitors/{item['id']}", json={"paused": True})
        assert status == 200 and paused["data"]["attributes"]["paused"] is True, paused


async def test_a_tcp_monitor_needs_a_host(api):
    status, _, answer = await api.request("POST", "/api/v2/monitors", json={"monitor_type": "tcp", "port": 22})
    assert (status, list(answer["errors"])) == (422, ["url"]), answer
