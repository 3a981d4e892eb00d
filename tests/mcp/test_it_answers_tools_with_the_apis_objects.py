"""Every tool answers what its API route answers: the same serializer, the same object
(structured content, and the same JSON as text); its argument names are the route's query
or body fields plus the path's ids. Walked over the whole tool table: a new tool has to be
added here. The daemon's clock is a FakeClock, so nothing changes between the two reads."""

from __future__ import annotations

import json

from mcpkit import over_http
from upstatd.clock import FakeClock
from upstatd.mcp.tools import TOOLS

NOW = 1_790_000_000.0


async def made(api, path: str, body: dict) -> dict:
    status, _, answer = await api.request("POST", path, json=body)
    assert status == 201, answer
    return answer


async def test_every_tool_answers_as_its_route(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    monitor = await made(api, "/api/monitors", {"name": "shop", "type": "tcp", "url": "tcp://127.0.0.1:9"})
    beat = await made(api, "/api/heartbeats", {"name": "nightly backup", "period_seconds": 86400})
    incident = await made(api, "/api/incidents", {"title": "checkout is slow", "severity": "minor"})
    person = await made(api, "/api/people", {"name": "Anna"})
    await made(api, "/api/on-call", {"name": "Ops", "layers": [
        {"users": [person["id"]], "timezone": "UTC", "starts_at": "2026-01-01T00:00", "length": "weekly"}]})
    page = await made(api, "/api/status-pages", {"name": "Shop", "slug": "shop"})
    await made(api, f"/api/status-pages/{page['id']}/reports", {"title": "Slow checkout", "message": "Looking"})
    window = f"from={int(NOW) - 86400}&to={int(NOW)}"

    # tool -> (arguments, the API request answering the same, or None: compared by id below)
    reads = {
        "list_monitors": ({"limit": 5}, "GET /api/monitors?limit=5"),
        "get_monitor": ({"monitor_id": monitor["id"]}, f"GET /api/monitors/{monitor['id']}"),
        "monitor_availability": ({"monitor_id": monitor["id"], "from": int(NOW) - 86400, "to": int(NOW)},
                                 f"GET /api/monitors/{monitor['id']}/sla?{window}"),
        "list_heartbeats": ({}, "GET /api/heartbeats"),
        "get_heartbeat": ({"heartbeat_id": beat["id"]}, f"GET /api/heartbeats/{beat['id']}"),
        "heartbeat_availability": ({"heartbeat_id": beat["id"], "from": int(NOW) - 86400, "to": int(NOW)},
                                   f"GET /api/heartbeats/{beat['id']}/sla?{window}"),
        "list_incidents": ({"status": "open"}, "GET /api/incidents?status=open"),
        "get_incident": ({"incident_id": incident["id"]}, f"GET /api/incidents/{incident['id']}"),
        "who_is_on_call": ({}, "GET /api/on-call"),
        "list_status_pages": ({}, "GET /api/status-pages"),
        "get_status_page": ({"status_page_id": page["id"]}, f"GET /api/status-pages/{page['id']}"),
        "list_status_reports": ({"status_page_id": page["id"]}, f"GET /api/status-pages/{page['id']}/reports"),
    }
    # writes, in order; each compared with the object read back over the API afterwards
    writes = {
        "create_monitor": ({"name": "api", "type": "tcp", "url": "tcp://127.0.0.1:10"}, "/api/monitors/{id}"),
        "pause_monitor": ({"monitor_id": monitor["id"]}, f"/api/monitors/{monitor['id']}"),
        "resume_monitor": ({"monitor_id": monitor["id"]}, f"/api/monitors/{monitor['id']}"),
        "create_incident": ({"title": "disk full on db1"}, "/api/incidents/{id}"),
        "acknowledge_incident": ({"incident_id": incident["id"]}, f"/api/incidents/{incident['id']}"),
        "comment_on_incident": ({"incident_id": incident["id"], "message": "db1 cleaned"},
                                f"/api/incidents/{incident['id']}/updates"),
        "resolve_incident": ({"incident_id": incident["id"]}, f"/api/incidents/{incident['id']}"),
    }
    refusals = {"escalate_incident": ({"incident_id": incident["id"]},
                                      f"POST /api/incidents/{incident['id']}/escalate")}
    assert set(reads) | set(writes) | set(refusals) == {tool.name for tool in TOOLS}

    async with over_http(api, api.admin_token) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        for name, (arguments, request) in reads.items():
            assert set(arguments) <= set(tools[name].input_schema["properties"]), name
            result = await client.call_tool(name, arguments)
            method, path = request.split(" ")
            status, _, expected = await api.request(method, path)
            assert status == 200, expected
            assert not result.is_error, result.content
            assert result.structured_content == expected, name
            assert json.loads(result.content[0].text) == expected, name
        for name, (arguments, path) in writes.items():
            result = await client.call_tool(name, arguments)
            assert not result.is_error, (name, result.content)
            answer = result.structured_content
            _, _, expected = await api.request("GET", path.format(id=answer.get("id")))
            if expected["object"] == "list":  # a comment: the newest timeline entry
                expected = expected["data"][0]
            expected.pop("runbooks", None)  # GET /api/incidents/{id} adds them; the action routes do not
            assert answer == expected, name
        for name, (arguments, request) in refusals.items():  # resolved: nothing to escalate
            result = await client.call_tool(name, arguments)
            method, path = request.split(" ")
            status, _, expected = await api.request(method, path, json={})
            assert status == 409 and result.is_error
            assert result.structured_content["error"] | {"request_id": None} == \
                expected["error"] | {"request_id": None}


async def test_bad_arguments_get_the_apis_words(api):
    status, _, too_many = await api.request("GET", "/api/monitors?limit=1000")
    _, _, missing = await api.request("GET", "/api/monitors/mon_nope")
    async with over_http(api, api.admin_token) as client:
        limit = await client.call_tool("list_monitors", {"limit": 1000})
        unknown = await client.call_tool("get_monitor", {"monitor_id": "mon_nope"})
        no_id = await client.call_tool("get_monitor", {})
        stranger = await client.call_tool("list_monitors", {"colour": "red"})
    assert status == 422
    # the same words; a query's value was a string ('1000'), a tool's argument is JSON (1000)
    assert too_many["error"]["message"] == "limit must be between 1 and 100, got '1000'"
    assert limit.is_error
    assert limit.structured_content["error"]["message"] == "limit must be between 1 and 100, got 1000"
    assert unknown.is_error and unknown.structured_content["error"]["message"] == missing["error"]["message"]
    assert no_id.structured_content["error"]["param"] == "monitor_id"
    assert no_id.structured_content["error"]["message"] == "monitor_id is required: the monitor's id, a string"
    assert stranger.structured_content["error"]["param"] == "colour"
