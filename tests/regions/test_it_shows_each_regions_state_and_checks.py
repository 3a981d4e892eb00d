"""A monitor probed from several regions: GET /api/monitors/{id}/status shows each
region's confirmed state, its latest result and whether it counts in the quorum now
(null for a monitor of the daemon's region alone); every check names its region (the
daemon's own, server.region, for its own probes), and ?region= lists one region's."""

from __future__ import annotations

from regionkit import elapse, monitor, push, result, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
MONITORS = """
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu, us], interval: 10s,
     confirmation: {failures: 1}}
  - {key: plain, type: tcp, url: "tcp://127.0.0.1:9", interval: 10s}
"""


async def test_status_and_checks_per_region(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW), server="region: home")
    shop = (await monitor(api, "shop"))["id"]
    await push(api, "eu", [result(1, shop, False, NOW + 1)])
    await push(api, "us", [result(1, shop, True, NOW + 2, latency_ms=40.0)])
    await elapse(api, 2, ("eu", "us"))

    status, _, shown = await api.request("GET", f"/api/monitors/{shop}/status")
    assert status == 200, shown
    assert shown["quorum"] == "majority"
    assert [(item["name"], item["state"], item["fresh"], item["last_check_at"]) for item in shown["regions"]] == [
        ("eu", "down", True, NOW + 1), ("us", "up", True, NOW + 2)]
    eu, us = shown["regions"]
    assert (eu["since"], eu["latency_ms"], eu["error_kind"], eu["error_message"]) == (
        NOW + 1, 3.0, "connection_error", "connection refused")
    assert (us["latency_ms"], us["error_kind"], us["error_message"]) == (40.0, None, None)
    assert shown["current_state"] == "up" and shown["last_check"]["region"] == "us"

    # no new results while the agents stay up: after 2 x interval + timeout none counts
    await elapse(api, 31, ("eu", "us"))
    _, _, later = await api.request("GET", f"/api/monitors/{shop}/status")
    assert [item["fresh"] for item in later["regions"]] == [False, False]

    _, _, listed = await api.request("GET", f"/api/monitors/{shop}/checks?limit=100")
    assert [item["region"] for item in listed["data"]] == ["us", "eu"]
    for region, expected in (("eu", [False]), ("us", [True]), ("home", []), ("nowhere", [])):
        status, _, only = await api.request("GET", f"/api/monitors/{shop}/checks?region={region}")
        assert status == 200, only
        assert [item["ok"] for item in only["data"]] == expected, region
        assert all(item["region"] == region for item in only["data"])

    # the daemon probed `plain` itself as the clock moved (a closed loopback port)
    plain = (await monitor(api, "plain"))["id"]
    _, _, single = await api.request("GET", f"/api/monitors/{plain}/status")
    assert (single["regions"], single["quorum"]) == (None, None)
    assert single["last_check"]["region"] == "home"
    _, _, own = await api.request("GET", f"/api/monitors/{plain}/checks?limit=100")
    assert own["data"] and {item["region"] for item in own["data"]} == {"home"}
    _, _, home = await api.request("GET", f"/api/monitors/{plain}/checks?limit=100&region=home")
    assert home["data"] == own["data"]
    _, _, none = await api.request("GET", f"/api/monitors/{plain}/checks?region=eu")
    assert none["data"] == []
