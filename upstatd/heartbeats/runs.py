"""Runs in progress: which `/start` a finish ends (pure functions over a tuple
of open starts, oldest first, each `(rid or None, started_at)`).

    a start             opens a run; a start with a rid already open (or a
                        second start without one) starts that run again;
                        only the latest MAX_OPEN are kept (the oldest goes)
    finish with rid R   ends the run of R and gives its duration; with no
                        run of R open, a failure ends every run (no
                        duration) and a success ends nothing
    finish without rid  ends every run; its duration is from the latest start

Healthchecks keeps one start per check and does the same with it: the same
rid pairs, an absent rid or any failure ends the run, a success with another
rid leaves it running. Keeping several lets overlapping runs pair by rid.
"""

from __future__ import annotations

Run = tuple[str | None, float]   # (rid, started_at)
Runs = tuple[Run, ...]

MAX_OPEN = 10


def start(runs: Runs, rid: str | None, now: float) -> Runs:
    kept = tuple(run for run in runs if run[0] != rid)
    return (kept + ((rid, now),))[-MAX_OPEN:]


def finish(runs: Runs, kind: str, rid: str | None, now: float) -> tuple[Runs, float | None]:
    """(the runs left open, the duration of the run this finish ended or None).
    `kind`: success or fail."""
    if not runs:
        return runs, None
    if rid is None:
        return (), max(0.0, now - runs[-1][1])
    for index, (open_rid, started_at) in enumerate(runs):
        if open_rid == rid:
            return runs[:index] + runs[index + 1:], max(0.0, now - started_at)
    if kind == "fail":
        return (), None
    return runs, None
