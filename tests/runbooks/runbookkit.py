"""The in-process daemon of tests/api/conftest.py (`start_api`) for the runbook
tests (that file is loaded under its own name: both are "conftest"), and small
helpers over its API: make a runbook, read an incident's timeline."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

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


async def restart(start_api: Any, api: Any, extra_yaml: str) -> Any:
    """Stop the daemon and start another on `extra_yaml` (which names the same `storage:`),
    with the same clock: rows written into the state file in between are read at start."""
    await api.session.close()
    await api.daemon.stop()
    return await start_api(extra_yaml, clock=api.clock)
