"""Region tests: the in-process daemon of tests/api/conftest.py (`start_api`, `api`), with
agents played by the test over real HTTP (regionkit.py); and the namespace lab
(tests/regions/netns.py) as a fixture, skipped where it cannot be built."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import netns

_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_regions", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api
api = _api_conftest.api

from regionkit import alertkit  # noqa: E402

receiver = alertkit.receiver  # the fixture: a loopback HTTP receiver for alert channels


@pytest.fixture
def netns_available() -> None:
    """Skips the test, with the reason, when network namespaces cannot be made here."""
    reason = netns.unavailable()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
async def lab(netns_available) -> netns.Lab:
    """Regions "local", "eu", "us" and two target addresses; torn down after the test."""
    async with netns.Lab(regions=("local", "eu", "us"), targets=2) as made:
        yield made
