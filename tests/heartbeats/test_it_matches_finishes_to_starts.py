"""Which /start a finish ends (upstatd.heartbeats.runs), as a table: the open
starts before, the finish (kind, rid), the open starts after and the duration.
Healthchecks' rules for its one start, kept for several: the same rid pairs,
no rid ends every run (timed from the latest start), a failure with an
unknown rid ends every run, a success with an unknown rid ends nothing."""

from __future__ import annotations

import pytest

from upstatd.heartbeats import runs

A = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
B = "1f0e6c7a-3b2d-4e5f-8a9b-0c1d2e3f4a5b"
C = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"

FINISH_CASES = [
    pytest.param((), "success", A, (), None, id="nothing-open-nothing-ends"),
    pytest.param((), "fail", None, (), None, id="nothing-open-a-fail-ends-nothing"),
    pytest.param(((A, 100.0),), "success", A, (), 50.0, id="same-rid-pairs"),
    pytest.param(((A, 100.0),), "fail", A, (), 50.0, id="same-rid-fail-pairs"),
    pytest.param(((None, 100.0),), "success", None, (), 50.0, id="no-rid-on-either-pairs"),
    pytest.param(((A, 100.0),), "success", None, (), 50.0, id="no-rid-ends-a-run-with-one"),
    pytest.param(((A, 100.0), (B, 120.0)), "success", None, (), 30.0, id="no-rid-ends-every-run-latest-times"),
    pytest.param(((A, 100.0),), "success", B, ((A, 100.0),), None, id="another-rid-success-ends-nothing"),
    pytest.param(((None, 100.0),), "success", B, ((None, 100.0),), None, id="a-rid-does-not-end-a-run-without"),
    pytest.param(((A, 100.0),), "fail", B, (), None, id="another-rid-fail-ends-the-run"),
    pytest.param(((A, 100.0), (B, 120.0)), "fail", C, (), None, id="unknown-rid-fail-ends-every-run"),
    pytest.param(((A, 100.0), (B, 120.0)), "success", A, ((B, 120.0),), 50.0, id="overlap-finish-the-first"),
    pytest.param(((A, 100.0), (B, 120.0)), "success", B, ((A, 100.0),), 30.0, id="overlap-finish-the-second"),
    pytest.param(((A, 100.0), (B, 120.0)), "fail", A, ((B, 120.0),), 50.0, id="overlap-fail-ends-only-its-own"),
    pytest.param(((A, 160.0),), "success", A, (), 0.0, id="clock-set-back-no-negative-duration"),
]


@pytest.mark.parametrize("before, kind, rid, after, duration", FINISH_CASES)
def test_finish(before, kind, rid, after, duration):
    assert runs.finish(before, kind, rid, 150.0) == (after, duration)


START_CASES = [
    pytest.param((), A, ((A, 150.0),), id="opens-a-run"),
    pytest.param(((A, 100.0),), B, ((A, 100.0), (B, 150.0)), id="a-second-rid-overlaps"),
    pytest.param(((A, 100.0), (B, 120.0)), A, ((B, 120.0), (A, 150.0)), id="a-rid-started-again-is-latest"),
    pytest.param(((None, 100.0),), None, ((None, 150.0),), id="without-rid-replaces-the-one-without"),
    pytest.param(((A, 100.0),), None, ((A, 100.0), (None, 150.0)), id="without-rid-beside-a-rid"),
    pytest.param(tuple((f"r{n}", float(n)) for n in range(runs.MAX_OPEN)), A,
                 tuple((f"r{n}", float(n)) for n in range(1, runs.MAX_OPEN)) + ((A, 150.0),),
                 id="bounded-the-oldest-goes"),
]


@pytest.mark.parametrize("before, rid, after", START_CASES)
def test_start(before, rid, after):
    assert runs.start(before, rid, 150.0) == after
