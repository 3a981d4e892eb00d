"""120 incidents paged UptimeIO's way: limit/offset to the end as `hasNext` says, each page's
`total`, `page`, `totalPages` and `hasPrevious`; `sort_by`/`sort_order`; `since` in milliseconds."""

from __future__ import annotations

import asyncio

from uptimeiokit import BASE, io

COUNT = 120


async def test_it_pages_to_the_end_with_limit_and_offset(api):
    made = []
    for batch in range(0, COUNT, 20):  # over the API, 20 at a time
        answers = await asyncio.gather(*(io(api, "POST", BASE, json={"title": f"Incident {n:03}"})
                                         for n in range(batch, batch + 20)))
        made += [body["data"]["id"] for status, _, body in answers if status == 201]
    assert len(made) == COUNT

    seen, offset, pages = [], 0, 0
    while True:
        status, _, page = await io(api, "GET", f"{BASE}?limit=25&offset={offset}")
        assert status == 200, page
        pages += 1
        assert page["pagination"] == {"total": COUNT, "page": pages, "pageSize": 25, "totalPages": 5,
                                      "hasNext": offset + 25 < COUNT, "hasPrevious": offset > 0}
        seen += [item["id"] for item in page["data"]]
        if not page["pagination"]["hasNext"]:
            break
        offset += 25
    assert pages == 5 and len(seen) == COUNT and set(seen) == set(made)
    created = []
    for n in range(0, COUNT, 100):
        _, _, chunk = await io(api, "GET", f"{BASE}?limit=100&offset={n}")
        created += [item["created_at"] for item in chunk["data"]]
    assert created == sorted(created, reverse=True)  # default: created_at desc (ties: the latest made first)

    status, _, oldest = await io(api, "GET", f"{BASE}?limit=3&sort_by=created_at&sort_order=asc")
    assert status == 200 and [item["id"] for item in oldest["data"]] == seen[::-1][:3]
    status, _, titles = await io(api, "GET", f"{BASE}?limit=2&sort_by=title&sort_order=asc")
    assert [item["title"] for item in titles["data"]] == ["Incident 000", "Incident 001"]
    status, _, beyond = await io(api, "GET", f"{BASE}?limit=25&offset=500")
    assert status == 200 and beyond["data"] == [] and beyond["pagination"]["hasNext"] is False


async def test_it_polls_for_changes_since_a_time_in_milliseconds(api):
    _, _, first = await io(api, "POST", BASE, json={"title": "Before"})
    api_later = first["data"]["updated_at"] + 1
    await asyncio.sleep(0.01)
    _, _, second = await io(api, "POST", BASE, json={"title": "After"})
    status, _, polled = await io(api, "GET", f"{BASE}?since={second['data']['updated_at']}")
    assert status == 200 and [item["id"] for item in polled["data"]] == [second["data"]["id"]]
    # a change (here a comment) brings an incident back into the poll
    await io(api, "POST", f"{BASE}/{first['data']['id']}/updates", json={"message": "still looking"})
    status, _, polled = await io(api, "GET", f"{BASE}?since={api_later}&sort_by=updated_at")
    assert [item["id"] for item in polled["data"]] == [first["data"]["id"], second["data"]["id"]]
