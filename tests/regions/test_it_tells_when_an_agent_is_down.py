"""An agent is down once three push intervals pass without a contact
(upstatd.regions.liveness, docs/regions.md "Agent liveness").

Acceptance: "SIGKILL of an agent: agent.down within three push intervals".
Pure: every time is given.
"""

from __future__ import annotations

import pytest

from upstatd.regions.liveness import DOWN_AFTER, down_at, is_up

T0 = 1_700_000_000.0


@pytest.mark.parametrize("last_contact, push_interval, at", [
    (T0, 1.0, T0 + 3.0),
    (T0, 0.5, T0 + 1.5),
    (T0, 10.0, T0 + 30.0),
])
def test_down_at(last_contact, push_interval, at):
    assert DOWN_AFTER == 3
    assert down_at(last_contact, push_interval) == at


@pytest.mark.parametrize("last_contact, now, up", [
    (None, T0, False),              # never heard from
    (T0, T0, True),
    (T0, T0 + 1.0, True),           # one push missed
    (T0, T0 + 2.999, True),
    (T0, T0 + 3.0, False),          # a timer set for down_at finds it down
    (T0, T0 + 60.0, False),
    (T0 + 59.5, T0 + 60.0, True),   # back at its next contact
    (T0 + 5.0, T0, True),           # a contact stamped ahead of `now` (clock stepped back)
])
def test_is_up(last_contact, now, up):
    assert is_up(last_contact, now, 1.0) is up
