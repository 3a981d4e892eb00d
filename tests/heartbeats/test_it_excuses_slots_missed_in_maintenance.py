"""deadlines.excuse (pure): when a maintenance window ends, a slot the heartbeat
expected inside it (or before it) is forgiven and its deadlines count from the
window's end; a slot still ahead, or a heartbeat new or down, is left alone."""

from __future__ import annotations

import pytest

from upstatd.heartbeats.deadlines import HeartbeatState, excuse
from upstatd.heartbeats.schedule import Schedule

HOURLY = Schedule("period", period=3600.0)
NIGHTLY = Schedule("cron", expression="0 3 * * *", timezone="UTC")
T = 1_800_000_000.0   # 2027-01-15T08:00:00Z


@pytest.mark.parametrize("state, expected_at, schedule, end, excused", [
    ("up", T + 3600, HOURLY, T + 7200, (T + 7200, T + 10800)),      # slot inside: counts from the end
    ("late", T + 3600, HOURLY, T + 7200, (T + 7200, T + 10800)),    # late before it: the new slot's grace
    ("up", T + 19 * 3600, NIGHTLY, T + 3600, None),                 # 03:00 tomorrow, still ahead: unchanged
    ("up", T - 5 * 3600, NIGHTLY, T + 3600, (T + 3600, T + 68400)),  # cron: the first slot after the end
    ("new", None, HOURLY, T + 7200, None),
    ("down", T + 3600, HOURLY, T + 7200, None),
])
def test_it_forgives_what_fell_due_before_the_end(state, expected_at, schedule, end, excused):
    hb = HeartbeatState(state, T, T, T, expected_at)
    got = excuse(hb, end, schedule)
    if excused is None:
        assert got is hb
    else:
        assert (got.last_success_at, got.expected_at) == excused and got.state == state
