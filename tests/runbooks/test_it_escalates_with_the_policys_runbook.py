"""End to end, on a FakeClock: a runbook linked to an escalation policy is named
in the escalated email its first step sends to the on-call person (aiosmtpd on
loopback; tests/oncall's escalatekit seeds the team and the default policy),
with its steps and, the daemon having no public URL, its API path."""

from __future__ import annotations

import sys
from pathlib import Path

from notifykit import eventually, smtp, start_api  # noqa: F401  (fixtures)
from runbookrows import add_runbook

sys.path.insert(0, str(Path(__file__).parent.parent / "oncall"))
from escalatekit import NOW, config, first_probe, paged, seed, tick  # noqa: E402

from loopback import closed_port  # noqa: E402
from upstatd.clock import FakeClock  # noqa: E402

STEPS = ["Acknowledge within 5 minutes", "Open a channel in #incidents"]


async def test_the_escalated_email_names_the_policys_runbook(start_api, smtp, tmp_path):
    path = str(tmp_path / "state.db")
    seed(path)
    add_runbook(path, "rbk_paging", "Paged? Start here", STEPS, linked_to=("esc_team",))
    api = await start_api(config(smtp, closed_port(), path), clock=FakeClock(wall=NOW))
    await first_probe(api)
    await tick(api, 1)
    await eventually(lambda: paged(smtp) == ["anna"], timeout=10)
    text = smtp.mails[0].part("plain").replace("\r\n", "\n")
    assert "[ESCALATED]" in smtp.mails[0].message["Subject"]
    assert ("Runbooks:\n- Paged? Start here (API: /api/runbooks/rbk_paging)\n"
            f"  1. {STEPS[0]}\n  2. {STEPS[1]}\n") in text, text
    assert "more step" not in text
