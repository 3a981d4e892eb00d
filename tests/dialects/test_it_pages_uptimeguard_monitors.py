"""GET /v1/monitors pages as UptimeGuard does: page (from 1) and per_page (default 25, at most
100), with the total; 120 monitors walked page by page to the end, each once, newest first."""

from __future__ import annotations

import math

from uptimeguardkit import assert_error, assert_monitor, start_api  # noqa: F401  (a fixture)

COUNT = 120


async def make_monitors(api, count: int) -> list[str]:
    """Through /api (a monitor made there is the same object under /v1); every third one tagged."""
    made = []
    for n in range(count):
        status, _, body = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": f"http://127.0.0.1:9/{n}", "interval_seconds": 3600,
            "tags": ["third"] if n % 3 == 0 else []})
        assert status == 201, body
        made.append(body["id"])
    return made


async def walk(api, query: str) -> tuple[list[str], int, int]:
    """Every id, following the pages until one comes back short; the total; how many pages."""
    seen: list[str] = []
    page = 1
    while True:
        status, _, body = await api.request("GET", f"/v1/monitors?page={page}{query}")
        assert status == 200, body
        assert body["page"] == page
        for item in body["monitors"]:
            assert_monitor(item, listed=True)
        seen += [item["id"] for item in body["monitors"]]
        if len(seen) >= body["total"]:
            return seen, body["total"], page
        assert len(body["monitors"]) == body["per_page"], body
        page += 1


async def test_it_walks_120_monitors_page_by_page(start_api):
    api = await start_api("api: {rate_limit: {per_token_minute: 100000, global_minute: 100000}}")
    made = await make_monitors(api, COUNT)
    newest_first = list(reversed(made))

    seen, total, pages = await walk(api, "")
    assert (seen, total, pages) == (newest_first, COUNT, math.ceil(COUNT / 25))  # per_page: 25 by default

    for per_page in (1, 7, 100):
        seen, total, pages = await walk(api, f"&per_page={per_page}")
        assert (seen, total, pages) == (newest_first, COUNT, math.ceil(COUNT / per_page)), per_page

    tagged = [monitor_id for n, monitor_id in enumerate(made) if n % 3 == 0][::-1]
    seen, total, _ = await walk(api, "&tag=third&per_page=15")
    assert (seen, total) == (tagged, len(tagged))

    # past the end: an empty page, the same total
    _, _, beyond = await api.request("GET", "/v1/monitors?page=99&per_page=10")
    assert (beyond["monitors"], beyond["total"], beyond["page"]) == ([], COUNT, 99)


async def test_it_refuses_a_page_size_over_100_or_a_page_below_1(start_api):
    api = await start_api()
    for query, param in (("per_page=101", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"),
                         ("status=gone", "status")):
        status, _, body = await api.request("GET", f"/v1/monitors?{query}")
        assert status in (400, 422), (query, body)
        assert_error(body, "VALIDATION_ERROR")
        assert body["error"]["param"] == param, body
