"""Walking GET /api/monitors forward and backward over 250 monitors returns
each exactly once, in order, while other monitors are being created."""

from __future__ import annotations

import asyncio

from loopback import closed_port
from upstatd.clock import FakeClock

COUNT = 250
URL = f"tcp://127.0.0.1:{closed_port()}"  # the clock stands still: never probed anyway


async def create(api, **fields) -> str:
    status, _, made = await api.request("POST", "/api/monitors", json={"type": "tcp", "url": URL, **fields})
    assert status == 201, made
    return made["id"]


async def forward(api, query: str) -> list[str]:
    """Newest to oldest, page after page (starting_after the last id of each page)."""
    ids: list[str] = []
    cursor = ""
    while True:
        status, _, page = await api.request("GET", f"/api/monitors?limit=7{query}{cursor}")
        assert status == 200, page
        ids += [item["id"] for item in page["data"]]
        if not page["has_more"]:
            return ids
        cursor = f"&starting_after={page['data'][-1]['id']}"


async def backward(api, query: str, oldest: str) -> list[str]:
    """Oldest to newest, from just above `oldest`, page after page (ending_before the first id)."""
    ids: list[str] = []
    cursor = oldest
    while True:
        status, _, page = await api.request("GET", f"/api/monitors?limit=7{query}&ending_before={cursor}")
        assert status == 200, page
        ids += [item["id"] for item in reversed(page["data"])]  # a page is newest first as well
        if not page["has_more"]:
            return ids
        cursor = page["data"][0]["id"]


async def test_it_walks_250_monitors_both_ways_while_others_are_created(start_api):
    api = await start_api(clock=FakeClock())
    floor = await create(api, name="floor")  # older than all: where the backward walk starts
    originals = [await create(api, name=f"walk {index}", tags=["walk"]) for index in range(COUNT)]
    newest_first = list(reversed(originals))

    created: list[str] = []
    done = asyncio.Event()

    async def keep_creating() -> None:
        while not done.is_set():
            created.append(await create(api, name="meanwhile"))
            await asyncio.sleep(0.005)

    creator = asyncio.create_task(keep_creating())
    try:
        await asyncio.sleep(0.02)
        walked_forward = await forward(api, "")
        walked_back = await backward(api, "", floor)
        tagged_forward = await forward(api, "&tag=walk")
        tagged_back = await backward(api, "&tag=walk", floor)
    finally:
        done.set()
        await creator
    assert len(created) >= 10  # the walks really ran beside creations

    # Forward: the monitors made meanwhile that were there when the walk began come
    # first (the walk starts at the newest); then the 250 in order, then the floor.
    assert len(walked_forward) == len(set(walked_forward))
    meanwhile = [item for item in walked_forward if item in created]
    assert walked_forward == meanwhile + newest_first + [floor]
    # Backward: the 250 oldest first, each once; what was made meanwhile only after them.
    assert len(walked_back) == len(set(walked_back))
    assert walked_back[:COUNT] == originals
    assert set(walked_back[COUNT:]) <= set(created)
    assert walked_back[COUNT:] == sorted(walked_back[COUNT:], key=created.index)
    # With a filter, the same walks give exactly the 250.
    assert tagged_forward == newest_first
    assert tagged_back == originals


async def test_out_of_range_times_and_cursors_are_400s_naming_the_param(api):
    monitor = await create(api)
    for path, expected, param in (
            (f"/api/monitors?created_gte={2 ** 63 - 1}", 422, "created_gte"),  # beyond its msgspec.Meta bound
            (f"/api/monitors/{monitor}/checks?created_lte={2 ** 63 - 1}", 422, "created_lte"),
            (f"/api/monitors/{monitor}/checks?starting_after=chk_{'z' * 20}", 400, "starting_after")):
        status, _, body = await api.request("GET", path)
        assert (status, body["error"]["param"]) == (expected, param), body
