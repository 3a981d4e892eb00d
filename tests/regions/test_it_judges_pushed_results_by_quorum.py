"""Results pushed by agents are confirmed per region, and the monitor is judged by quorum
over its fresh regions: down in one region of three stays up (that region shows down, no
incident); down in two is down, and the incident and the event name both regions."""

from __future__ import annotations

from regionkit import elapse, monitor, pull, push, result, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
AGENTS = ("eu", "us", "ap")
MONITORS = """
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu, us, ap], interval: 10s,
     confirmation: {failures: 1}}
"""


async def probe_round(api, shop: str, seq: int, outcomes: dict[str, bool]) -> None:
    for agent, ok in outcomes.items():
        answer = await push(api, agent, [result(seq, shop, ok, api.clock.time())])
        assert (answer["accepted"], answer["refused"]) == (1, []), answer


async def test_one_region_down_of_three_is_no_incident_two_are(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    shop = (await monitor(api, "shop"))["id"]
    for agent in ("eu", "us", "ap"):
        await pull(api, agent)

    await probe_round(api, shop, 1, {"eu": True, "us": True, "ap": True})
    assert (await monitor(api, "shop"))["current_state"] == "up"

    await elapse(api, 10, AGENTS)
    await probe_round(api, shop, 2, {"eu": False, "us": True, "ap": True})
    assert (await monitor(api, "shop"))["current_state"] == "up"
    _, _, incidents = await api.request("GET", "/api/incidents")
    assert incidents["data"] == []
    running = api.daemon.monitors.monitors["shop"]
    assert {name: regional.state.state for name, regional in running.regional.items()} == {
        "eu": "down", "us": "up", "ap": "up"}

    await elapse(api, 10, AGENTS)
    await probe_round(api, shop, 3, {"eu": False, "us": False, "ap": True})
    assert (await monitor(api, "shop"))["current_state"] == "down"
    _, _, incidents = await api.request("GET", "/api/incidents")
    (incident,) = incidents["data"]
    assert incident["affected_monitor_ids"] == [shop]
    _, _, events = await api.request("GET", "/api/events?type=monitor.down")
    (event,) = events["data"]
    assert event["data"]["regions"] == ["eu", "us"]

    await elapse(api, 10, AGENTS)
    await probe_round(api, shop, 4, {"eu": True, "us": True, "ap": True})
    assert (await monitor(api, "shop"))["current_state"] == "up"


async def test_a_repeated_result_is_taken_once(start_api):
    clock = FakeClock(wall=NOW)
    api = await start_regions(start_api, MONITORS, clock=clock)
    shop = (await monitor(api, "shop"))["id"]
    batch = [result(seq, shop, True, NOW + seq) for seq in (1, 2, 3)]
    answer = await push(api, "eu", batch)
    assert (answer["acked_seq"], answer["accepted"], answer["duplicates"]) == (3, 3, 0)
    assert answer["server_time"] == clock.time()  # the agent checks its clock offset by it
    answer = await push(api, "eu", batch + [result(4, shop, True, NOW + 4)])
    assert (answer["acked_seq"], answer["accepted"], answer["duplicates"]) == (4, 1, 3)
    # a new spool (the agent's file was lost) numbers from 1 again
    answer = await push(api, "eu", [result(1, shop, True, NOW + 5)], spool="spool-2")
    assert (answer["acked_seq"], answer["accepted"]) == (1, 1)
    _, _, checks = await api.request("GET", f"/api/monitors/{shop}/checks?limit=100")
    assert len(checks["data"]) == 5


async def test_results_for_a_monitor_outside_the_region_are_refused(start_api):
    api = await start_regions(start_api, MONITORS + """
  - {key: eu-only, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu]}
""", clock=FakeClock(wall=NOW))
    eu_only = (await monitor(api, "eu-only"))["id"]
    answer = await push(api, "us", [result(1, eu_only, False, NOW), result(2, "mon_nothere", False, NOW)])
    assert answer["accepted"] == 0 and answer["acked_seq"] == 2
    assert [item["reason"] for item in answer["refused"]] == [
        f"monitor {eu_only} is not probed from region us", "no monitor mon_nothere (deleted?)"]
    _, _, checks = await api.request("GET", f"/api/monitors/{eu_only}/checks")
    assert checks["data"] == []


async def test_a_result_out_of_bounds_is_refused_and_changes_nothing(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    shop = (await monitor(api, "shop"))["id"]
    for bad in ({"latency_ms": 1e400}, {"at": -1}, {"phases": {"connect": 1e400}}, {"seq": 0}):
        answer = await push(api, "eu", [{**result(1, shop, True, NOW), **bad}], expect=400)
        assert answer["error"]["type"] == "invalid_request_error", bad
    answer = await push(api, "eu", [result(1, shop, False, NOW, error_kind="made_up")])
    assert answer["accepted"] == 0 and "error_kind 'made_up' is not one of timeout" in answer["refused"][0]["reason"]
    _, _, checks = await api.request("GET", f"/api/monitors/{shop}/checks")
    assert checks["data"] == []
