"""A group's state is the worst of its members': the pure ranking, a table of cases."""

from __future__ import annotations

import pytest

from upstatd.groups.states import RANKS, worst
from upstatd.heartbeats.deadlines import STATES as HEARTBEAT_STATES
from upstatd.store.monitors import CURRENT_STATES as MONITOR_STATES

CASES = [
    ("monitor", [], None),
    ("monitor", ["up"], "up"),
    ("monitor", ["up", "down", "degraded"], "down"),
    ("monitor", ["degraded", "up"], "degraded"),
    ("monitor", ["up", "pending"], "up"),                  # not checked yet: nothing known to be wrong
    ("monitor", ["pending", "pending"], "pending"),
    ("monitor", ["maintenance", "up"], "up"),              # watched by no one on purpose
    ("monitor", ["maintenance", "pending"], "maintenance"),
    ("monitor", ["pending", "maintenance", "degraded"], "degraded"),
    ("heartbeat", [], None),
    ("heartbeat", ["new"], "new"),
    ("heartbeat", ["new", "up"], "up"),
    ("heartbeat", ["up", "late"], "late"),
    ("heartbeat", ["late", "down", "new"], "down"),
]


@pytest.mark.parametrize("kind, states, expected", CASES)
def test_it_takes_the_worst_state(kind, states, expected):
    assert worst(kind, states) == expected
    assert worst(kind, reversed(states)) == expected  # order does not matter


def test_it_ranks_every_state_of_each_kind():
    assert set(RANKS["monitor"]) == set(MONITOR_STATES)
    assert set(RANKS["heartbeat"]) == set(HEARTBEAT_STATES)
