"""Better Stack's paging over 120 monitors: `page`/`per_page` (default 50, at most 250),
`pagination` with absolute first/last/prev/next URLs, followed from the first page
through `next` until it is null."""

from __future__ import annotations

from urllib.parse import urlsplit

COUNT = 120


async def made(api) -> list[str]:
    ids = []
    for n in range(COUNT):
        status, _, answer = await api.request("POST", "/api/v2/monitors", json={
            "monitor_type": "status", "url": f"http://127.0.0.1:9/{n}", "pronounceable_name": f"site {n}",
            "paused": True})  # paused: never probed
        assert status == 201, answer
        ids.append(answer["data"]["id"])
    return ids


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_next_leads_through_every_monitor_once_in_order(api):
    ids = await made(api)
    seen, sizes, url = [], [], "/api/v2/monitors"
    while url is not None:
        status, _, answer = await api.request("GET", url)
        assert status == 200, answer
        seen += [item["id"] for item in answer["data"]]
        sizes.append(len(answer["data"]))
        pagination = answer["pagination"]
        assert set(pagination) == {"first", "last", "prev", "next"}
        assert pagination["first"] == f"{api.url}/api/v2/monitors?page=1&per_page=50"
        assert pagination["last"] == f"{api.url}/api/v2/monitors?page=3&per_page=50"
        assert all(link is None or link.startswith(api.url + "/api/v2/monitors?") for link in pagination.values())
        assert (pagination["prev"] is None) == (len(sizes) == 1)
        url = pagination["next"] and relative(pagination["next"])
    assert sizes == [50, 50, 20]
    assert seen == ids  # oldest first, none twice, none left out

    _, _, answer = await api.request("GET", "/api/v2/monitors?page=2&per_page=100")
    assert [item["id"] for item in answer["data"]] == ids[100:]
    assert answer["pagination"]["prev"] == f"{api.url}/api/v2/monitors?page=1&per_page=100"
    assert answer["pagination"]["next"] is None
    _, _, answer = await api.request("GET", "/api/v2/monitors?per_page=1000")  # capped at 250
    assert len(answer["data"]) == COUNT and answer["pagination"]["last"].endswith("page=1&per_page=250")
    _, _, answer = await api.request("GET", "/api/v2/monitors?page=9")
    assert answer["data"] == [] and answer["pagination"]["next"] is None
    # a filter stays in the links
    _, _, answer = await api.request("GET", "/api/v2/monitors?pronounceable_name=site%207&per_page=1")
    assert [item["attributes"]["pronounceable_name"] for item in answer["data"]] == ["site 7"]
    assert "pronounceable_name=site+7" in answer["pagination"]["first"] or \
        "pronounceable_name=site%207" in answer["pagination"]["first"]


async def test_a_page_below_one_is_refused_by_name(api):
    for query, field in (("page=0", "page"), ("per_page=0", "per_page"), ("page=two", "page")):
        status, _, answer = await api.request("GET", f"/api/v2/heartbeats?{query}")
        assert (status, list(answer["errors"])) == (422, [field]), answer
