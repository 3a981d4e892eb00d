"""An agent not heard from for three push intervals is down (`agent.down`): its region's
results stop counting, so what it saw last neither opens an incident with another region
nor keeps one open; heard from again, it is up (`agent.up`) and counts again."""

from __future__ import annotations

from loopback import eventually
from regionkit import monitor, pull, push, result, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
MONITORS = """
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu, us, ap], interval: 10s,
     confirmation: {failures: 1}}
"""


async def events(api, kind: str) -> list[dict]:
    _, _, found = await api.request("GET", f"/api/events?type={kind}")
    return found["data"]


async def test_a_lost_agent_is_down_and_its_region_stops_counting(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    shop = (await monitor(api, "shop"))["id"]
    seq = {"eu": 0, "us": 0, "ap": 0}

    async def report(**outcomes: bool) -> None:
        for agent, ok in outcomes.items():
            seq[agent] += 1
            await push(api, agent, [result(seq[agent], shop, ok, api.clock.time())])

    for agent in seq:
        await pull(api, agent)
    await report(eu=True, us=True, ap=True)
    api.clock.advance(1)
    await report(eu=False, us=True, ap=True)  # eu sees it down, then its agent goes silent
    assert (await monitor(api, "shop"))["current_state"] == "up"

    for _ in range(3):  # us and ap keep pushing; eu's last contact ages past three intervals
        api.clock.advance(1.05)
        await report(us=True, ap=True)
    (down,) = await eventually(lambda: events(api, "agent.down"))
    assert (down["data"]["object"]["name"], down["data"]["object"]["region"]) == ("eu-1", "eu")
    assert down["data"]["object"]["state"] == "down"

    # us sees it down now: eu's stale "down" is not counted, so 1 of 2 fresh regions: no incident
    await report(us=False, ap=True)
    assert (await monitor(api, "shop"))["current_state"] == "up"
    _, _, incidents = await api.request("GET", f"/api/incidents?monitor_id={shop}")
    assert incidents["data"] == []  # (the agent's own agent_down incident is about the agent)

    # eu is back and still sees it down: 2 of 3, down
    await report(eu=False)
    (up,) = await events(api, "agent.up")
    assert up["data"]["object"]["name"] == "eu-1"
    assert (await monitor(api, "shop"))["current_state"] == "down"
    _, _, agents_before = await api.request("GET", f"/api/incidents?monitor_id={shop}")
    assert len(agents_before["data"]) == 1
