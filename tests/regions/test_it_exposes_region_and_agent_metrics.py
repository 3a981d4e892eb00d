"""/metrics on the daemon with agent regions: a monitor probed from several regions has
one upstatd_monitor_region_up and ..._probe_duration_seconds series per region, as its
regions' results say; each agent has upstatd_agent_up, its last contact's age and its
spool and scheduler as it reported them (the scheduler also in GET /api/agents); an agent
gone silent is 0, its age growing."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from loopback import eventually
from regionkit import TOKENS, monitor, pull, push, result, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
MONITORS = """
metrics: {enabled: true}
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu, us], interval: 10s,
     confirmation: {failures: 1}}
"""


async def scrape(api) -> dict:
    async with api.session.get(api.url + "/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {(family.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def shop(region: str) -> tuple:
    return tuple(sorted({"key": "shop", "name": "shop", "type": "tcp", "region": region}.items()))


def agent(name: str, region: str) -> tuple:
    return (("agent", name), ("region", region))


async def test_per_region_and_per_agent_series(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    shop_id = (await monitor(api, "shop"))["id"]
    await pull(api, "eu")
    await pull(api, "us")
    await push(api, "eu", [result(1, shop_id, True, NOW)])  # 12.5 ms
    answer = await push(api, "us", [result(1, shop_id, False, NOW)])  # 3 ms
    assert answer["accepted"] == 1
    api.clock.advance(0.5)
    scheduler = {"monitors": 1, "in_flight": 3, "max_in_flight": 1000, "launched": 120, "skipped_late": 2,
                 "skipped_busy": 1, "skipped_capacity": 5, "lateness_p99_ms": 4.5}
    body = {"spool": "spool-1", "version": "test", "spool_results": 7, "spool_bytes": 4096, "scheduler": scheduler,
            "results": []}
    async with api.session.post(f"{api.url}/agent/v1/results", json=body,
                                headers={"Authorization": "Bearer " + TOKENS["us"]}) as sent:
        assert sent.status == 200

    seen = await scrape(api)
    assert seen[("upstatd_monitor_region_up", shop("eu"))] == 1
    assert seen[("upstatd_monitor_region_up", shop("us"))] == 0
    assert seen[("upstatd_monitor_region_probe_duration_seconds", shop("eu"))] == 0.0125
    assert seen[("upstatd_monitor_region_probe_duration_seconds", shop("us"))] == 0.003
    assert seen[("upstatd_agent_up", agent("eu-1", "eu"))] == 1
    assert seen[("upstatd_agent_up", agent("eu-2", "eu"))] == 0  # never heard from
    assert ("upstatd_agent_last_contact_age_seconds", agent("eu-2", "eu")) not in seen
    assert seen[("upstatd_agent_last_contact_age_seconds", agent("us-1", "us"))] == 0
    assert seen[("upstatd_agent_last_contact_age_seconds", agent("eu-1", "eu"))] == 0.5
    assert seen[("upstatd_agent_spool_results", agent("us-1", "us"))] == 7
    assert seen[("upstatd_agent_spool_bytes", agent("us-1", "us"))] == 4096
    assert seen[("upstatd_agent_probes_launched", agent("us-1", "us"))] == 120
    assert seen[("upstatd_agent_probes_skipped", tuple(sorted((*agent("us-1", "us"), ("reason", "capacity")))))] == 5
    assert seen[("upstatd_agent_probes_skipped", tuple(sorted((*agent("us-1", "us"), ("reason", "late")))))] == 2
    assert seen[("upstatd_agent_probes_in_flight", agent("us-1", "us"))] == 3
    assert ("upstatd_agent_probes_launched", agent("eu-1", "eu")) not in seen  # it sent none
    _, _, agents = await api.request("GET", "/api/agents")
    shown = {item["name"]: item["scheduler"] for item in agents["data"]}
    assert shown["us-1"] == scheduler and shown["eu-1"] is None

    api.clock.advance(3.5)  # eu-1 and us-1 silent past three push intervals

    async def silent() -> bool:
        return (await scrape(api))[("upstatd_agent_up", agent("eu-1", "eu"))] == 0
    await eventually(silent)
    seen = await scrape(api)
    assert seen[("upstatd_agent_last_contact_age_seconds", agent("eu-1", "eu"))] == 4.0
