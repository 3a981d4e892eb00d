"""The namespace lab (tests/regions/netns.py) as a fixture, skipped where it cannot be built."""

from __future__ import annotations

import pytest

import netns


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
