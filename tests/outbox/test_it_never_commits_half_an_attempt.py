"""A consumer that fails can never leave half of a change committed. Every
attempt is one transaction (its row, the cursor, the failing streak, the
disable and its event): a failure injected inside it, after some of it ran,
leaves none of it in the tables, and the consumer sends again once the fault
is gone. A channel that raises is a failed attempt, recorded and retried."""

from __future__ import annotations

import sqlite3

import pytest

from outboxkit import FAST, Script, eventually
from upstatd.delivery.outbox import Attempt
from upstatd.delivery.policy import Policy
from upstatd.store import webhooks as endpoints

FAILED = Attempt(False, 500, 1.0, "HTTP 500: nope")


class Faulty:
    """The ledger, but `method` raises after doing its work while `armed`."""

    def __init__(self, ledger, method: str) -> None:
        self.ledger, self.method, self.armed = ledger, method, True

    def __getattr__(self, name: str):
        work = getattr(self.ledger, name)
        if name != self.method:
            return work

        def failing(*args):
            result = work(*args)
            if self.armed:
                raise sqlite3.OperationalError(f"injected failure after {name}")
            return result
        return failing


# (the ledger method that fails, what the channel answers, the policy): a success whose cursor
# move fails, a failure whose failing streak fails, a disable that fails
CASES = [
    ("advance", [], FAST),
    ("set_failing", [FAILED], FAST),
    ("disable", [FAILED], Policy(backoff_base=0.01, jitter=0.0, disable_after=0.0)),
]


@pytest.mark.parametrize("method, answers, policy", CASES)
async def test_a_failure_inside_the_attempt_commits_none_of_it(box, method, answers, policy):
    start = await box.target()
    ledger = Faulty(endpoints.ledger(box.seq), method)
    channel = Script(answers * 100)
    box.consumer(channel, policy, ledger, disabled_event=lambda conn: ("webhook_endpoint.disabled", {}))
    seq, event = await box.emit()
    await eventually(lambda: len(channel.got) >= 3)  # sent, failed to save, sent again ...
    assert await box.attempts() == []  # ... and nothing of it is in the tables
    assert await box.target() == start
    assert await box.events("webhook_endpoint.disabled") == []

    ledger.armed = False
    rows = await eventually(box.attempts)
    assert rows[0][:1] == (1,) and rows[0][3] == event.id  # the first attempt that committed is number 1
    cursor, failing_since, enabled, reason = await box.target()
    if method == "advance":    # delivered: the cursor moved with its attempt
        assert len(rows) == 1 and rows[0][1] == 1 and cursor == seq and failing_since is None
    elif method == "set_failing":  # failed: the streak started with its attempt; the cursor stays
        assert rows[0][1] == 0 and rows[0][4] is not None
        assert cursor == start[0] and failing_since == 1_800_000_000_000
    else:                      # disabled with its event, in the same commit as the attempt
        assert len(rows) == 1 and rows[0][1] == 0 and rows[0][4] is None and (enabled, cursor) == (0, start[0])
        assert reason.startswith("every attempt failed for 0 seconds")
        assert len(await box.events("webhook_endpoint.disabled")) == 1


async def test_a_channel_that_raises_is_a_failed_attempt_retried(box):
    channel = Script([RuntimeError("boom"), RuntimeError("boom again")])
    box.consumer(channel)
    seq, event = await box.emit()
    rows = await eventually(lambda: _ok(box))
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (1, 0, "RuntimeError: boom"), (2, 0, "RuntimeError: boom again"), (3, 1, None)]
    assert (await box.target())[:2] == (seq, None)  # moved past it once delivered, streak over


async def _ok(box) -> list:
    rows = await box.attempts()
    return rows if rows and rows[-1][1] == 1 else []
