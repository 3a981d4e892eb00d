"""POST /api/agents makes an agent for a declared region: its token is in that answer
only, works at once at /agent/v1, and the agent is listed as the daemon knows it (its
contact, lag and spool). DELETE refuses the config's agents (409 naming the file) and
makes an API agent's token useless at once; both changes are events."""

from __future__ import annotations

import re

from regionkit import TOKENS, pull, push, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
MONITORS = """
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [local, eu]}
"""


async def test_an_agent_made_over_the_api_pulls_until_it_is_deleted(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    status, _, made = await api.request("POST", "/api/agents", json={"name": "eu-west-3", "region": "eu"})
    assert status == 201, made
    assert re.fullmatch(r"upsa_[A-Za-z0-9_-]{32}", made["secret"]), made["secret"]
    assert made["id"].startswith("agt_")
    assert (made["object"], made["name"], made["region"], made["managed_by"], made["key"], made["state"]) == (
        "agent", "eu-west-3", "eu", "api", None, "new")
    stored = await api.daemon.read_db.call(lambda conn: conn.execute(
        "SELECT token_hash FROM agents WHERE id = ?", (made["id"],)).fetchone()[0])
    assert made["secret"] not in stored and len(stored) == 64  # its SHA-256 only

    status, _, shown = await api.request("GET", f"/api/agents/{made['id']}")
    assert status == 200 and "secret" not in shown, shown

    api.clock.advance(5)
    status, _, assignment = await pull(api, "eu", token=made["secret"])
    assert status == 200, assignment
    assert assignment["agent"] == {"id": made["id"], "name": "eu-west-3", "region": "eu"}
    api.clock.advance(2)
    await push(api, "eu", [], token=made["secret"])
    api.clock.advance(1.5)
    status, _, shown = await api.request("GET", f"/api/agents/{made['id']}")
    assert (shown["state"], shown["last_contact_at"], shown["lag_seconds"], shown["version"]) == (
        "up", NOW + 7, 1.5, "test")
    assert shown["spool"] == {"results": 0, "bytes": 0, "dropped": 0}

    _, _, listed = await api.request("GET", "/api/agents?region=eu&limit=100")
    assert [item["name"] for item in listed["data"]] == ["eu-west-3", "eu-2", "eu-1"]
    _, _, up = await api.request("GET", "/api/agents?state=up")
    assert [item["id"] for item in up["data"]] == [made["id"]]
    status, _, wrong = await api.request("GET", "/api/agents?state=sleeping")
    assert (status, wrong["error"]["param"]) == (400, "state")

    status, _, _ = await api.request("DELETE", f"/api/agents/{made['id']}")
    assert status == 204
    status, _, refused = await pull(api, "eu", token=made["secret"])
    assert status == 401, refused
    status, _, gone = await api.request("GET", f"/api/agents/{made['id']}")
    assert status == 404, gone

    _, _, events = await api.request("GET", "/api/events?limit=100")
    kinds = [(event["type"], event["data"]["object"]["id"]) for event in events["data"]
             if event["type"].startswith("agent.")]
    assert ("agent.created", made["id"]) in kinds and ("agent.deleted", made["id"]) in kinds


async def test_a_replay_has_no_secret(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    body, headers = {"name": "us-2", "region": "us"}, {"Idempotency-Key": "agent-us-2"}
    status, _, first = await api.request("POST", "/api/agents", json=body, headers=headers)
    assert status == 201 and first["secret"].startswith("upsa_"), first
    status, sent, again = await api.request("POST", "/api/agents", json=body, headers=headers)
    assert (status, sent.get("Idempotent-Replayed")) == (201, "true"), again
    assert (again["id"], again["secret"]) == (first["id"], None)
    stored = await api.daemon.read_db.call(lambda conn: tuple(conn.execute(
        "SELECT count(*), sum(instr(CAST(body AS TEXT), ?)) FROM idempotency_keys",
        (first["secret"],)).fetchone()))
    assert stored == (1, 0)  # the answer kept for replays, without the secret


async def test_a_region_must_be_declared_and_config_agents_stay(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    for region in ("local", "mars"):  # the daemon's own is probed by the daemon, not by agents
        status, _, refused = await api.request("POST", "/api/agents", json={"name": "x", "region": region})
        assert (status, refused["error"]["param"]) == (422, "region"), refused
        assert "declared: eu, us, ap" in refused["error"]["message"], refused
    status, _, refused = await api.request("POST", "/api/agents", json={"name": "  ", "region": "eu"})
    assert (status, refused["error"]["param"]) == (422, "name"), refused

    _, _, listed = await api.request("GET", "/api/agents?region=us")
    (config_agent,) = listed["data"]
    assert (config_agent["key"], config_agent["managed_by"]) == ("us-1", "config")
    status, _, refused = await api.request("DELETE", f"/api/agents/{config_agent['id']}")
    assert (status, refused["error"]["code"]) == (409, "managed_by_config"), refused
    assert str(api.config_path) in refused["error"]["message"]
    status, _, _ = await pull(api, "us", token=TOKENS["us"])
    assert status == 200
