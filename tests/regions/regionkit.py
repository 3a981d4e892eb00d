"""A daemon with agent regions, and the test playing its agents over /agent/v1.

    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    status, etag, body = await pull(api, "eu")
    answer = await push(api, "eu", [result(1, monitor_id, ok=False, at=NOW)])
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

# The alert tests' loopback peers and channel YAML (tests/alerts/alertkit.py), under a name of their own.
_kit = importlib.util.spec_from_file_location("upstatd_tests_alertkit_regions",
                                              Path(__file__).parent.parent / "alerts" / "alertkit.py")
alertkit = sys.modules.setdefault(_kit.name, importlib.util.module_from_spec(_kit))
if not hasattr(alertkit, "Receiver"):
    _kit.loader.exec_module(alertkit)

TOKENS = {"eu": "eu-agent-token-" + "e" * 32, "us": "us-agent-token-" + "u" * 32,
          "ap": "ap-agent-token-" + "a" * 32, "eu2": "eu-agent-two-token-" + "f" * 32}
REGIONS_YAML = """
regions:
  eu: {agents: [{key: eu-1, token: "${EU}"}, {key: eu-2, token: "${EU2}"}]}
  us: {agents: [{key: us-1, token: "${US}"}]}
  ap: {agents: [{key: ap-1, token: "${AP}"}]}
"""
ENVIRON = {"EU": TOKENS["eu"], "US": TOKENS["us"], "AP": TOKENS["ap"], "EU2": TOKENS["eu2"]}


async def start_regions(start_api, monitors_yaml: str, clock: Any = None, server: str = "") -> Any:
    return await start_api(REGIONS_YAML + monitors_yaml, clock=clock, server=server, environ=ENVIRON)


async def pull(api: Any, agent: str, etag: str | None = None, token: str | None = None) -> tuple[int, str, Any]:
    headers = {"Authorization": f"Bearer {token or TOKENS[agent]}"}
    if etag:
        headers["If-None-Match"] = etag
    async with api.session.get(f"{api.url}/agent/v1/assignment", headers=headers) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, response.headers.get("ETag"), body


async def push(api: Any, agent: str, results: list[dict], spool: str = "spool-1", token: str | None = None,
               expect: int = 200) -> Any:
    body = {"spool": spool, "version": "test", "results": results}
    async with api.session.post(f"{api.url}/agent/v1/results", json=body,
                                headers={"Authorization": f"Bearer {token or TOKENS[agent]}"}) as response:
        answer = await response.json()
        assert response.status == expect, answer
        return answer


def result(seq: int, monitor_id: str, ok: bool, at: float, slot: float | None = None, **more: Any) -> dict:
    return {"seq": seq, "monitor_id": monitor_id, "slot": slot, "at": at, "ok": ok,
            "latency_ms": 12.5 if ok else 3.0, "status_code": 200 if ok else None,
            "error_kind": None if ok else "connection_error",
            "error_message": None if ok else "connection refused", **more}


async def monitor(api: Any, key: str) -> dict:
    _, _, listed = await api.request("GET", "/api/monitors?limit=100")
    return next(item for item in listed["data"] if item["key"] == key)


async def elapse(api: Any, seconds: float, agents: tuple[str, ...], spool: str = "spool-1") -> None:
    """Move the daemon's clock by `seconds`, a second at a time, each agent sending its
    keep-alive (an empty push) every second as a real agent does."""
    steps = max(1, round(seconds))
    for _ in range(steps):
        api.clock.advance(seconds / steps)
        for agent in agents:
            await push(api, agent, [], spool=spool)
