"""An agent pulls the monitors of its region, with their probe settings, and nothing else;
a pull with the ETag it holds is a 304; agent and API tokens are each refused at the
other's door."""

from __future__ import annotations

from regionkit import TOKENS, monitor, pull, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
MONITORS = """
monitors:
  - {key: here, type: tcp, url: "tcp://127.0.0.1:9"}
  - {key: eu-only, type: http, url: "http://127.0.0.1:9/", regions: [eu],
     http: {headers: {Authorization: "Bearer target-secret"}}}
  - {key: everywhere, type: tcp, url: "tcp://127.0.0.1:9", regions: [local, eu, us], quorum: 2, interval: 30s}
"""


async def test_an_agent_gets_the_monitors_of_its_region(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    status, etag, body = await pull(api, "us")
    assert status == 200 and etag
    assert body["agent"]["region"] == "us" and body["agent"]["name"] == "us-1"
    assert body["server_time"] == NOW
    assert [item["monitor"]["key"] for item in body["monitors"]] == ["everywhere"]
    (item,) = body["monitors"]
    assert item["id"] == (await monitor(api, "everywhere"))["id"]
    assert item["monitor"] == {"key": "everywhere", "name": "everywhere", "type": "tcp", "url": "tcp://127.0.0.1:9",
                               "interval": 30.0, "timeout": 10.0,
                               "confirmation": {"failures": 2, "successes": 1, "recheck": 5.0}}
    assert (item["since"], item["until"]) == (None, None)

    status, _, body = await pull(api, "us", etag=etag)
    assert status == 304 and body is None


async def test_the_agents_of_a_region_split_its_monitors(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    _, _, first = await pull(api, "eu")
    assert sorted(item["monitor"]["key"] for item in first["monitors"]) == ["eu-only", "everywhere"]
    eu_only = next(item for item in first["monitors"] if item["monitor"]["key"] == "eu-only")
    # the credentials of a monitor reach the agents of its regions (docs/regions.md)
    assert eu_only["monitor"]["http"]["headers"] == {"Authorization": "Bearer target-secret"}

    # a second agent of eu comes: each monitor ends up with exactly one of them
    _, _, second = await pull(api, "eu2")
    _, _, first = await pull(api, "eu")
    owners = {}
    for name, body in (("eu", first), ("eu2", second)):
        for item in body["monitors"]:
            owners.setdefault(item["monitor"]["key"], []).append((name, item["since"], item["until"]))
    assert sorted(owners) == ["eu-only", "everywhere"]
    for key, windows in owners.items():
        if len(windows) == 2:  # moving: the old owner until T, the new one from T
            (_, _, until), (_, since, _) = sorted(windows, key=lambda w: w[1] or 0)
            assert until == since == NOW + 3.0, windows


async def test_tokens_are_refused_at_the_other_door(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    status, _, body = await pull(api, "eu", token=api.admin_token)
    assert status == 401 and body["error"]["type"] == "authentication_error"
    assert "API tokens are not" in body["error"]["message"]
    status, _, body = await api.request("GET", "/api/monitors", token=TOKENS["eu"])
    assert status == 401
    status, _, body = await pull(api, "eu", token="upsa_" + "0" * 40)
    assert status == 401
