"""Lists: {"object": "list", "data", "has_more", "url"}, newest first, `limit`
1-100 (default 10), exclusive `starting_after` / `ending_before` cursors (not
both), and pages that stay put while objects are added during a walk."""

from __future__ import annotations

import pytest


async def make_tokens(api, count: int, prefix: str = "t") -> list[str]:
    """Ids of `count` new tokens, oldest first."""
    before = await all_ids(api)
    for n in range(count):
        await api.make_token("monitors:read", name=f"{prefix}{n}")
    return [token_id for token_id in reversed(await all_ids(api)) if token_id not in before]


async def all_ids(api) -> list[str]:
    _, _, page = await api.request("GET", "/api/tokens?limit=100")
    assert not page["has_more"]
    return [token["id"] for token in page["data"]]


async def test_a_list_is_the_envelope_newest_first_ten_by_default(api):
    made = await make_tokens(api, 12)
    status, _, page = await api.request("GET", "/api/tokens")
    assert status == 200
    assert set(page) == {"object", "data", "has_more", "url"}
    assert (page["object"], page["url"], page["has_more"]) == ("list", "/api/tokens", True)
    assert [token["id"] for token in page["data"]] == made[::-1][:10]
    assert all(token["object"] == "token" and token["id"].startswith("tok_") for token in page["data"])
    _, _, empty = await api.request("GET", "/api/tokens?revoked=true")
    assert (empty["data"], empty["has_more"]) == ([], False)


@pytest.mark.parametrize("limit", [1, 3, 5, 100])
async def test_walking_forward_and_back_sees_everything_once(api, limit):
    await make_tokens(api, 11)
    everything = await all_ids(api)  # newest first; the admin token is the oldest

    seen, cursor, has_more = [], None, True
    while has_more:
        path = f"/api/tokens?limit={limit}" + (f"&starting_after={cursor}" if cursor else "")
        _, _, page = await api.request("GET", path)
        ids = [token["id"] for token in page["data"]]
        assert 0 < len(ids) <= limit
        seen += ids
        cursor, has_more = ids[-1], page["has_more"]
    assert seen == everything

    back, cursor, has_more = [], everything[-1], True
    while has_more:
        _, _, page = await api.request("GET", f"/api/tokens?limit={limit}&ending_before={cursor}")
        ids = [token["id"] for token in page["data"]]
        back = ids + back  # each page is newest first too, and lies before the previous one
        cursor, has_more = (ids[0] if ids else cursor), page["has_more"]
    assert back == everything[:-1]


async def test_pages_stay_put_while_objects_are_added(api):
    older = await make_tokens(api, 6, "old")
    _, _, first = await api.request("GET", "/api/tokens?limit=3")
    newer = await make_tokens(api, 4, "new")  # made while the client walks
    _, _, second = await api.request("GET", f"/api/tokens?limit=3&starting_after={first['data'][-1]['id']}")
    assert [t["id"] for t in first["data"] + second["data"]] == older[::-1]
    # what was added since shows up before the first page
    _, _, added = await api.request("GET", f"/api/tokens?limit=10&ending_before={first['data'][0]['id']}")
    assert [t["id"] for t in added["data"]] == newer[::-1] and not added["has_more"]


@pytest.mark.parametrize("query, status, param", [
    ("limit=0", 422, "limit"), ("limit=101", 422, "limit"), ("limit=abc", 400, "limit"), ("limit=-1", 422, "limit"),
    ("limit=1.5", 400, "limit"), ("starting_after=tok_a&ending_before=tok_b", 400, "ending_before"),
    ("starting_after=tok_0000000000000000000000", 400, "starting_after"), ("ending_before=nope", 400, "ending_before"),
])
async def test_bad_paging_parameters_are_a_400_or_422_naming_them(api, query, status, param):
    answer_status, _, body = await api.request("GET", f"/api/tokens?{query}")
    assert answer_status == status, body
    assert (body["error"]["type"], body["error"]["param"]) == ("invalid_request_error", param)
    assert param in body["error"]["message"]


async def test_the_bounds_themselves_are_fine(api):
    for limit in (1, 100):
        status, _, page = await api.request("GET", f"/api/tokens?limit={limit}")
        assert status == 200 and len(page["data"]) == 1
