"""Heartbeat tests over real HTTP: the in-process daemon of tests/api/conftest.py
(`start_api`, `api`) with the `heartbeats:` section of pingkit.HEARTBEATS,
pinged on its loopback port, its SQLite file read back read-only.

    async def test_something(pinger):
        status, headers, text = await pinger.ping("GET", f"{BACKUP}/start")
        assert pinger.pings("backup")[-1]["kind"] == "start"

Import helpers from `pingkit` (this directory), not from `conftest`: that name
is taken by whichever conftest.py was imported first.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from pingkit import HEARTBEATS, PING_KEY, Pinger, heartbeats_yaml

# The daemon fixtures live in tests/api/conftest.py; load that file under its own
# name (both are "conftest") and offer its fixtures here too.
_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api
api = _api_conftest.api


@pytest.fixture
async def start_pinger(start_api):
    """start_pinger(pings_yaml=..., heartbeats_yaml=..., clock=None, server="") -> Pinger."""

    async def start(pings: str = f"pings: {{key: {PING_KEY}}}", heartbeats: str = HEARTBEATS,
                    clock: Any = None, server: str = "") -> Pinger:
        return Pinger(await start_api(heartbeats_yaml(pings, heartbeats), clock=clock, server=server))

    return start


@pytest.fixture
async def pinger(start_pinger) -> Pinger:
    """A daemon running HEARTBEATS, the ping key PING_KEY and the default body limit."""
    return await start_pinger()
