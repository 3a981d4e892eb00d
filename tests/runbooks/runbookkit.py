"""The in-process daemon of tests/api/conftest.py (`start_api`) for the runbook
tests (that file is loaded under its own name: both are "conftest"), and small
helpers over its API: make a runbook, read an incident's timeline."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from clockdrive import probe
from loopback import closed_port

_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_for_runbooks", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api

POSTGRES = {"title": "Postgres is down", "body": "The primary is **db1**.",
            "steps": ["Check the disk on db1", "Fail over to db2", "Tell #ops"], "tags": ["database"]}


async def make_runbook(api: Any, **fields: Any) -> dict:
    """A runbook made over the API (POSTGRES's fields unless given)."""
    status, _, made = await api.request("POST", "/api/runbooks", json={**POSTGRES, **fields})
    assert status == 201, made
    return made


async def timeline(api: Any, incident_id: str) -> list[dict]:
    """The incident's timeline, oldest first."""
    status, _, page = await api.request("GET", f"/api/incidents/{incident_id}/updates?limit=100")
    assert status == 200, page
    return list(reversed(page["data"]))


async def events_of(api: Any, prefix: str) -> list[tuple[str, dict]]:
    """(type, data) of the events whose type starts with `prefix`, oldest first."""
    status, _, page = await api.request("GET", "/api/events?limit=100")
    assert status == 200, page
    return [(event["type"], event["data"]) for event in reversed(page["data"]) if event["type"].startswith(prefix)]



async def stop(api: Any) -> None:
    """Stop the daemon (its state file stays): rows written into it now are read by the
    next one started on it (start_api with the same `storage:`)."""
    await api.session.close()
    await api.daemon.stop()


async def failing_monitor(api: Any, service_id: str | None = None) -> dict:
    """A TCP monitor made over the API (in `service_id`) whose target (a closed loopback port)
    fails at its first probe, which confirms it down."""
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "interval_seconds": 3600,
        "confirmation": {"failures": 1}, **({"service_id": service_id} if service_id else {})})
    assert status == 201, made
    return made


async def incident_of(api: Any, monitor_id: str) -> dict:
    """Run the monitor's next probe (clockdrive.probe); -> the incident it opened."""
    key = next(key for key, running in api.daemon.monitors.monitors.items() if running.id == monitor_id)
    await probe(api, key)
    status, _, page = await api.request("GET", f"/api/incidents?monitor_id={monitor_id}")
    assert status == 200 and page["data"], page
    return page["data"][0]
