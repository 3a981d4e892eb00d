"""A monitor's `regions` and `quorum` over the API: validated as in YAML, a region
neither declared nor the daemon's own is a 422 naming regions.N; shown on the monitor
(null when not set); and a change reaches the running daemon: it stops or starts
probing the monitor itself, and the regions' agents get it in their assignment."""

from __future__ import annotations

from regionkit import pull, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
BODY = {"type": "tcp", "url": "tcp://127.0.0.1:9", "interval_seconds": 30}


async def assigned(api, agent: str) -> list[str]:
    status, _, body = await pull(api, agent)
    assert status == 200, body
    return [item["id"] for item in body["monitors"]]


async def test_regions_are_checked_shown_and_applied(start_api):
    api = await start_regions(start_api, "", clock=FakeClock(wall=NOW))
    slots = api.daemon.monitors.slots

    status, _, plain = await api.request("POST", "/api/monitors", json=BODY)
    assert status == 201, plain
    assert (plain["regions"], plain["quorum"]) == (None, None)
    assert slots.when(plain["id"]) is not None  # the daemon's own region: probed here

    status, _, shop = await api.request("POST", "/api/monitors",
                                        json={**BODY, "regions": ["local", "eu", "us"], "quorum": 2})
    assert status == 201, shop
    assert (shop["regions"], shop["quorum"]) == (["local", "eu", "us"], 2)
    assert slots.when(shop["id"]) is not None
    assert shop["id"] in await assigned(api, "eu") and shop["id"] in await assigned(api, "us")
    assert await assigned(api, "ap") == []

    for change, param in (({"regions": ["local", "mars"]}, "regions.1"), ({"regions": []}, "regions"),
                          ({"regions": ["eu", "eu"]}, "regions.1"), ({"regions": ["EU"]}, "regions.0"),
                          ({"quorum": 0}, "quorum"), ({"quorum": "most"}, "quorum")):
        status, _, refused = await api.request("POST", "/api/monitors", json={**BODY, **change})
        assert (status, refused["error"]["param"]) == (422, param), (change, refused)
        status, _, refused = await api.request("PATCH", f"/api/monitors/{shop['id']}", json=change)
        assert (status, refused["error"]["param"]) == (422, param), (change, refused)
    assert "no region 'mars' (regions: local, eu, us, ap)" in (await api.request(
        "POST", "/api/monitors", json={**BODY, "regions": ["mars"]}))[2]["error"]["message"]

    # probed by eu and ap only: the daemon stops probing it, us no longer gets it
    status, _, moved = await api.request("PATCH", f"/api/monitors/{shop['id']}",
                                         json={"regions": ["eu", "ap"], "quorum": "all"})
    assert status == 200, moved
    assert (moved["regions"], moved["quorum"]) == (["eu", "ap"], "all")
    assert slots.when(shop["id"]) is None and api.daemon.monitors.rechecks.when(shop["id"]) is None
    assert shop["id"] not in await assigned(api, "us") and shop["id"] in await assigned(api, "ap")
    _, _, read = await api.request("GET", f"/api/monitors/{shop['id']}")
    assert (read["regions"], read["quorum"]) == (["eu", "ap"], "all")

    # null: back to the daemon's own region, majority
    status, _, back = await api.request("PATCH", f"/api/monitors/{shop['id']}",
                                        json={"regions": None, "quorum": None})
    assert (back["regions"], back["quorum"]) == (None, None)
    assert slots.when(shop["id"]) is not None
    assert await assigned(api, "eu") == [] and await assigned(api, "ap") == []


async def test_with_no_region_of_its_own_a_monitor_needs_regions(start_api):
    api = await start_regions(start_api, "", clock=FakeClock(wall=NOW), server="region: false")
    status, _, refused = await api.request("POST", "/api/monitors", json=BODY)
    assert (status, refused["error"]["param"]) == (422, "regions"), refused
    status, _, refused = await api.request("POST", "/api/monitors", json={**BODY, "regions": ["local"]})
    assert (status, refused["error"]["param"]) == (422, "regions.0"), refused
    status, _, made = await api.request("POST", "/api/monitors", json={**BODY, "regions": ["eu"]})
    assert status == 201, made
    assert api.daemon.monitors.slots.when(made["id"]) is None
    assert made["id"] in await assigned(api, "eu")
