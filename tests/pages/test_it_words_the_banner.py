"""A page's banner and its resources' public states, by table."""

from __future__ import annotations

import pytest

from upstatd.pages.banner import BANNERS, banner, public_state, worst

STATES = [
    ("monitor", "up", "active", "operational"),
    ("monitor", "degraded", "active", "degraded"),
    ("monitor", "down", "active", "down"),
    ("monitor", "pending", "active", "unknown"),
    ("monitor", "maintenance", "active", "maintenance"),
    ("monitor", "down", "paused", "unknown"),     # paused: nothing to tell
    ("heartbeat", "up", "active", "operational"),
    ("heartbeat", "late", "active", "degraded"),  # overdue inside its grace
    ("heartbeat", "down", "active", "down"),
    ("heartbeat", "new", "active", "unknown"),
]


@pytest.mark.parametrize("kind, state, status, expected", STATES)
def test_it_names_each_state_for_the_public(kind, state, status, expected):
    assert public_state(kind, state, status) == expected


BANNER = [
    ([], "operational"),
    (["unknown", "unknown"], "operational"),
    (["operational", "operational"], "operational"),
    (["operational", "degraded"], "degraded"),
    (["operational", "maintenance"], "maintenance"),
    (["degraded", "maintenance"], "degraded"),
    (["operational", "down"], "partial_outage"),
    (["down", "degraded"], "partial_outage"),
    (["down", "down"], "major_outage"),
    (["down", "unknown"], "major_outage"),      # every known one is down
    (["down", "maintenance"], "partial_outage"),
]


@pytest.mark.parametrize("states, expected", BANNER)
def test_it_gives_the_worst_news_in_the_banner(states, expected):
    assert banner(states) == expected
    assert expected in BANNERS


@pytest.mark.parametrize("states, expected", [
    ([], "unknown"), (["unknown", "operational"], "operational"), (["operational", "maintenance"], "maintenance"),
    (["maintenance", "degraded"], "degraded"), (["degraded", "down", "operational"], "down")])
def test_it_shows_a_group_as_its_worst_member(states, expected):
    assert worst(states) == expected
