"""How an incident shows one of its runbooks (runbooks/public.py incident_runbook,
pure): the current version's steps numbered from 1, each done {by, at} (Unix
seconds) when marked on the incident, else null; a mark past the current steps
(the runbook was shortened since) is not shown."""

from __future__ import annotations

import pytest

from upstatd.runbooks.public import StepDone, incident_runbook
from upstatd.store.runbook_reads import LinkedRunbook


def mark(step: int, by: str = "ops", at_ms: int = 1_800_000_000_000) -> dict:
    return {"step": step, "version": 1, "done_by": by, "done_at": at_ms}


@pytest.mark.parametrize("steps, marks, expected", [
    (["a"], [], [(1, "a", None)]),
    (["a", "b", "c"], [mark(2, "anna", 1_800_000_120_500)],
     [(1, "a", None), (2, "b", StepDone(by="anna", at=1_800_000_120)), (3, "c", None)]),
    (["a", "b"], [mark(1), mark(2, "bob")],
     [(1, "a", StepDone(by="ops", at=1_800_000_000)), (2, "b", StepDone(by="bob", at=1_800_000_000))]),
    (["a"], [mark(3)], [(1, "a", None)]),                 # marked on a longer version
])
def test_it_numbers_the_steps_and_shows_who_did_them(steps, marks, expected):
    linked = LinkedRunbook("rbk_pg", "Postgres is down", 2, steps, "", [], "svc_pg", marks)
    shown = incident_runbook(linked)
    assert (shown.id, shown.title, shown.version, shown.via, shown.url) == (
        "rbk_pg", "Postgres is down", 2, "svc_pg", "/api/runbooks/rbk_pg")
    assert [(step.number, step.text, step.done) for step in shown.steps] == expected
