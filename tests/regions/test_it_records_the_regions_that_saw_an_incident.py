"""An incident of a monitor probed from several regions records the regions that saw it
fail (incidents.regions): shown as `regions` on upstatd's incident object, UptimeIO's and
Better Stack's, as UptimeGuard's `region` (joined with ","),
stored in SQLite, and kept by a reopening, which adds the regions that saw the new failure;
null for a monitor the daemon alone probes."""

from __future__ import annotations

import pytest

from regionkit import elapse, monitor, pull, push, result, start_regions
from upstatd.clock import FakeClock
from upstatd.events import StateChanged, Subject
from upstatd.incidents.policy import seen_by

NOW = 1_800_000_000.0
AGENTS = ("eu", "us", "ap")
MONITORS = """
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu, us, ap], interval: 10s,
     confirmation: {failures: 1}}
  - {key: single, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu], interval: 10s,
     confirmation: {failures: 1}}
"""


def change(*regions: str) -> StateChanged:
    return StateChanged(Subject("monitor", "mon_x", "X", "critical"), "up", "down", NOW, regions=regions)


@pytest.mark.parametrize("current, regions, recorded", [
    (None, (), None),                                  # one region: nothing recorded
    (None, ("eu", "us"), ["eu", "us"]),
    (["eu", "us"], (), ["eu", "us"]),                  # a change naming none keeps them
    (["eu", "us"], ("us", "ap"), ["eu", "us", "ap"]),  # a reopening adds the new ones, in order
])
def test_seen_by(current, regions, recorded):
    assert seen_by(current, change(*regions)) == recorded


async def round_of(api, shop: str, seq: int, outcomes: dict[str, bool]) -> None:
    for agent, ok in outcomes.items():
        answer = await push(api, agent, [result(seq, shop, ok, api.clock.time())])
        assert answer["accepted"] == 1, answer


async def test_the_incident_names_the_regions_that_saw_it(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    shop = (await monitor(api, "shop"))["id"]
    for agent in AGENTS:
        await pull(api, agent)
    await round_of(api, shop, 1, {"eu": True, "us": True, "ap": True})
    await elapse(api, 10, AGENTS)
    await round_of(api, shop, 2, {"eu": False, "us": False, "ap": True})

    _, _, listed = await api.request("GET", f"/api/incidents?monitor_id={shop}")
    (incident,) = listed["data"]
    assert incident["regions"] == ["eu", "us"]
    status, _, io = await api.request("GET", f"/uptimeio/api/incidents/{incident['id']}")
    assert status == 200 and io["data"]["regions"] == ["eu", "us"]
    _, _, better = await api.request("GET", f"/api/v3/incidents/{incident['id']}")
    assert better["data"]["attributes"]["regions"] == ["eu", "us"]
    _, _, guarded = await api.request("GET", f"/v1/monitors/{shop}/incidents")
    assert [item["region"] for item in guarded["incidents"]] == ["eu,us"]
    stored = await api.daemon.read_db.call(lambda conn: conn.execute(
        "SELECT regions FROM incidents WHERE id = ?", (incident["id"],)).fetchone()[0])
    assert stored == '["eu","us"]'

    # up again, then down within the reopen window, seen by us and ap this time
    await elapse(api, 10, AGENTS)
    await round_of(api, shop, 3, {"eu": True, "us": True, "ap": True})
    await elapse(api, 10, AGENTS)
    await round_of(api, shop, 4, {"eu": True, "us": False, "ap": False})
    _, _, again = await api.request("GET", f"/api/incidents/{incident['id']}")
    assert again["status"] == "open"
    assert again["regions"] == ["eu", "us", "ap"]


async def test_a_monitor_of_one_agents_region_names_it(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    single = (await monitor(api, "single"))["id"]
    await pull(api, "eu")
    await push(api, "eu", [result(1, single, False, NOW)])
    _, _, listed = await api.request("GET", f"/api/incidents?monitor_id={single}")
    (incident,) = listed["data"]
    assert incident["regions"] == ["eu"]  # null only for the daemon's own monitors (region local alone)
