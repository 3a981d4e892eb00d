"""The pure decisions of an outbox consumer (delivery/policy.py): the backoff
schedule with its jitter, what one attempt changes (move on, retry when,
disable), and how the disable reason tells the period."""

from __future__ import annotations

import pytest

from upstatd.delivery.policy import Policy, Step, backoff, decide, span

DEFAULT = Policy()  # 1 s doubling to 1 h, ± 20 %, disabled after 24 h


@pytest.mark.parametrize("attempt, rand, wait", [
    (1, 0.5, 1.0), (1, 0.0, 0.8), (1, 0.999999, 1.2), (2, 0.5, 2.0), (3, 0.5, 4.0), (12, 0.5, 2048.0),
    (13, 0.5, 3600.0), (13, 0.0, 2880.0), (10_000, 0.5, 3600.0),  # capped, and no overflow
])
def test_the_backoff_doubles_to_an_hour_with_jitter(attempt, rand, wait):
    assert backoff(DEFAULT, attempt, rand) == pytest.approx(wait, rel=1e-5)


NOW = 1_800_000_000.0
DAY = 86400.0


@pytest.mark.parametrize("policy, attempt, ok, retry, since, step", [
    # a success moves on and ends the streak
    (DEFAULT, 1, True, True, None, Step(True, None, None, None)),
    (DEFAULT, 7, True, True, NOW - 3600, Step(True, None, None, None)),
    # a first failure starts the streak; the retry goes after the backoff
    (DEFAULT, 1, False, True, None, Step(False, NOW + 1.0, NOW, None)),
    (DEFAULT, 3, False, True, NOW - 10, Step(False, NOW + 4.0, NOW - 10, None)),
    # just under the period: still retried; at it: disabled, no retry, the cursor stays
    (DEFAULT, 40, False, True, NOW - DAY + 1, Step(False, NOW + 3600.0, NOW - DAY + 1, None)),
    (DEFAULT, 40, False, True, NOW - DAY, Step(False, None, NOW - DAY, "r")),
    # not worth retrying: given up, the consumer moves on, the streak goes on
    (DEFAULT, 1, False, False, None, Step(True, None, NOW, None)),
    (DEFAULT, 1, False, False, NOW - 2 * DAY, Step(False, None, NOW - 2 * DAY, "r")),
    # never disabled
    (Policy(disable_after=None), 90, False, True, NOW - 365 * DAY, Step(False, NOW + 3600.0, NOW - 365 * DAY, None)),
    # never disabled, but an event failing that long is given up (alert channels): one try each
    (Policy(disable_after=None, give_up_after=DAY), 5, False, True, NOW - DAY + 1,
     Step(False, NOW + 16.0, NOW - DAY + 1, None)),
    (Policy(disable_after=None, give_up_after=DAY), 5, False, True, NOW - DAY, Step(True, None, NOW - DAY, None)),
    (Policy(disable_after=None, give_up_after=DAY), 1, False, True, NOW - 2 * DAY,
     Step(True, None, NOW - 2 * DAY, None)),
    # a short period (tests, escalations)
    (Policy(disable_after=60), 2, False, True, NOW - 60, Step(False, None, NOW - 60, "r")),
])
def test_one_attempt_decides_the_next_step(policy, attempt, ok, retry, since, step):
    got = decide(policy, attempt, ok, retry, "HTTP 500: nope", NOW, since, 0.5)
    if step.disable is None:
        assert got == step
    else:
        assert got._replace(disable="r") == step
        assert got.disable.startswith(f"every attempt failed for {span(policy.disable_after)} (since ")
        assert got.disable.endswith("); last error: HTTP 500: nope")


@pytest.mark.parametrize("seconds, text", [
    (86400, "24 hours"), (3600, "1 hour"), (5400, "90 minutes"), (60, "1 minute"), (90, "90 seconds"),
    (1, "1 second"), (0, "0 seconds"), (0.5, "0.5 seconds"),
])
def test_the_period_reads_in_its_largest_whole_unit(seconds, text):
    assert span(seconds) == text


def test_the_reason_says_since_when():
    step = decide(DEFAULT, 9, False, True, None, NOW, NOW - DAY, 0.5)
    assert "(since 2027-01-14T08:00:00Z)" in step.disable
