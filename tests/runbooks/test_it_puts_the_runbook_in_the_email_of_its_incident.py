"""End to end: postgres's monitor goes down; the email of its incident (aiosmtpd on
loopback) names the runbook linked to postgres's service: its title, the signed
link to its page under server.public_url, its first three steps and "2 more
steps", in the text and in the HTML part (the title escaped). The recovery's
email names no runbook. Without a public URL, the email has the title, the steps
and the API path, and no page link."""

from __future__ import annotations

import os
import re

from notifykit import LINK, PUBLIC, STEPS, TITLE, email_channel, eventually, postgres, smtp, start_api  # noqa: F401

from upstatd.alerts import runbook_links


async def test_the_outage_email_names_the_runbook_and_the_recovery_does_not(start_api, smtp, tmp_path):
    pg = await postgres(start_api, tmp_path, {"ops-mail": email_channel(smtp)})
    try:
        await pg.fail()
        await eventually(lambda: len(smtp.mails) >= 1, timeout=15)
        down = smtp.mails[0]
        text, html = (down.part(kind).replace("\r\n", "\n") for kind in ("plain", "html"))
        if os.environ.get("UPSTATD_PRINT_EXAMPLE"):  # docs/catalog-runbooks-alerts.md shows this text
            print(f"Subject: {down.message['Subject']}\n\n{text}")
        [link] = re.findall(r"- Postgres is down: (\S+)", text)
        assert LINK.fullmatch(link), text
        found = runbook_links.read(pg.api.daemon.api.link_key, link.partition("?t=")[2], pg.api.clock.time())
        assert (found.runbook_id, found.incident_id) == ("rbk_pg", await pg.incident_id())
        assert "\nRunbooks:\n" in text
        assert f"  1. {STEPS[0]}\n  2. {STEPS[1]}\n  3. {STEPS[2]}\n  ... 2 more steps\n" in text
        assert STEPS[3] not in text and STEPS[4] not in text
        assert f'<a href="{link}">{TITLE}</a>' in html
        assert f"<li>{STEPS[0]}</li>" in html and f"<li>{STEPS[2]}</li>" in html and STEPS[3] not in html
        assert "2 more steps" in html

        await pg.recover()
        await eventually(lambda: len(smtp.mails) >= 2, timeout=15)
        up = smtp.mails[1]
        assert "RECOVERED" in up.message["Subject"]
        for part in (up.part("plain"), up.part("html")):
            assert TITLE not in part and "/runbooks/" not in part and STEPS[0] not in part
    finally:
        pg.close()


async def test_without_a_public_url_the_email_names_the_api_path(start_api, smtp, tmp_path):
    pg = await postgres(start_api, tmp_path, {"ops-mail": email_channel(smtp)}, public_url=None)
    try:
        await pg.fail()
        await eventually(lambda: len(smtp.mails) >= 1, timeout=15)
        text, html = (smtp.mails[0].part(kind).replace("\r\n", "\n") for kind in ("plain", "html"))
        assert f"- {TITLE} (API: /api/runbooks/rbk_pg)\n  1. {STEPS[0]}\n" in text
        assert "?t=" not in text and "?t=" not in html and "<a href" not in html
        assert f"<li>{STEPS[1]}</li>" in html
    finally:
        pg.close()
