"""Flood control (alerts/flood.py), pure: a few alerts go one by one, the rest
of the window joins one digest, due when the window of the first ends."""

from __future__ import annotations

import itertools

import pytest

from upstatd.alerts.flood import BURST, Admitted, Window, admit

T = 1_800_000_000.0


def ids():
    counter = itertools.count(1)
    return lambda: f"dig_{next(counter)}"


@pytest.mark.parametrize("window, now, seconds, admitted, after", [
    # off: always on its own, nothing remembered
    (Window(), T, 0, Admitted(None, None, False), Window()),
    (Window((T - 1, T - 1, T - 1)), T, 0, Admitted(None, None, False), Window((T - 1, T - 1, T - 1))),
    # quiet: on its own, remembered
    (Window(), T, 60, Admitted(None, None, False), Window((T,))),
    # messages older than the window are forgotten
    (Window((T - 61, T - 60, T - 30)), T, 60, Admitted(None, None, False), Window((T - 30, T))),
    # the BURST-th message in the window still goes on its own
    (Window((T - 2, T - 1)), T, 60, Admitted(None, None, False), Window((T - 2, T - 1, T))),
    # the next opens a digest, due when the first one's window ends
    (Window((T - 10, T - 2, T - 1)), T, 60, Admitted("dig_1", T + 50, True),
     Window((T - 10, T - 2, T - 1, T + 50), "dig_1", T + 50)),
    # while it is open, alerts join it
    (Window((T - 10, T - 2, T - 1, T + 50), "dig_7", T + 50), T + 49.9, 60, Admitted("dig_7", T + 50, False),
     Window((T - 10, T - 2, T - 1, T + 50), "dig_7", T + 50)),
    # at its due time it is closed, and counts as a message: a flood that goes on opens the next one
    (Window((T - 10, T - 2, T - 1, T + 50), "dig_7", T + 50), T + 50, 60, Admitted("dig_1", T + 58, True),
     Window((T - 2, T - 1, T + 50, T + 58), "dig_1", T + 58)),
    # a quiet spell after it: alone again
    (Window((T - 10, T - 2, T - 1, T + 50), "dig_7", T + 50), T + 70, 60, Admitted(None, None, False),
     Window((T + 50, T + 70))),
])
def test_each_alert_goes_alone_or_joins_the_digest(window, now, seconds, admitted, after):
    assert admit(window, now, seconds, ids()) == (admitted, after)


def test_two_hundred_failures_in_five_seconds_make_one_digest():
    window, alone, digests = Window(), 0, set()
    for n in range(200):
        admitted, window = admit(window, T + n * 0.025, 60, ids())
        if admitted.digest_id is None:
            alone += 1
        else:
            digests.add(admitted.digest_id)
    assert alone == BURST and len(digests) == 1
