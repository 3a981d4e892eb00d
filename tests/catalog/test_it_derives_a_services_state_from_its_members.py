"""A service's `state` is its worst member's (catalog/graph.py state over the
stored states of its monitors and heartbeats), read on every answer: with the
daemon on a FakeClock and a loopback TCP target, postgres (one monitor) is
unknown while the monitor is pending, up once a probe succeeds, and down once
the target's failures are confirmed; api (one heartbeat) is unknown while the
heartbeat is new, up after a ping, degraded while the ping is late, and down
once the grace has passed too. A service with no members stays unknown, and
members join by `service:` in the file."""

from __future__ import annotations

import servicekit
from clockdrive import move_to, probe
from servicekit import by_key, seed
from upstatd.clock import FakeClock

start_api = servicekit.start_api
NOW = 1_800_000_000


def file(port: int) -> str:
    return f"""\
monitors:
  - {{key: db, type: tcp, url: "tcp://127.0.0.1:{port}", interval: 1h, timeout: 2s, service: postgres,
     confirmation: {{failures: 2, successes: 1, recheck: 5s}}}}
heartbeats:
  - {{key: nightly, period: 1h, grace: 10m, service: api}}
services:
  api: {{name: Public API, depends_on: [postgres]}}
  postgres: {{name: PostgreSQL}}
  web: {{name: Web shop}}
"""


async def states(api) -> dict[str, str]:
    return {key: item["state"] for key, item in (await by_key(api)).items()}


async def test_a_down_monitor_makes_its_service_down_and_a_late_heartbeat_degraded(start_api, tmp_path, target):
    api = await start_api(seed(tmp_path) + file(target.port), clock=FakeClock(wall=NOW))
    catalog = await by_key(api)
    assert catalog["postgres"]["monitor_ids"] == [api.daemon.monitors.monitors["db"].id]
    assert len(catalog["api"]["heartbeat_ids"]) == 1 and catalog["api"]["monitor_ids"] == []
    assert await states(api) == {"api": "unknown", "postgres": "unknown", "web": "unknown"}

    await probe(api, "db")
    assert (await states(api))["postgres"] == "up"
    await target.down()
    await probe(api, "db")
    assert (await states(api))["postgres"] == "up"       # one failure: not confirmed yet
    await probe(api, "db")
    assert (await states(api))["postgres"] == "down"

    status, _, beat = await api.request("GET", f"/api/heartbeats/{catalog['api']['heartbeat_ids'][0]}")
    token = beat["ping_url"].rsplit("/", 1)[1]
    async with api.session.get(f"{api.url}/ping/{token}") as answer:
        assert answer.status == 200
    await api.daemon.writer.flush()
    assert (await states(api))["api"] == "up"
    await move_to(api, api.clock.time() + 3600 + 1)       # the period passed: late
    assert (await states(api))["api"] == "degraded"
    await move_to(api, api.clock.time() + 600)            # and the grace: down
    assert await states(api) == {"api": "down", "postgres": "down", "web": "unknown"}
