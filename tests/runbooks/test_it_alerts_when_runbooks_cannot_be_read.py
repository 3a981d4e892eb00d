"""End to end: when the incident's runbooks cannot be read at send time (here
their table is gone from the state file), the outage's alert still goes out,
sent, without runbooks, and the daemon logs why: a page without its runbook
beats no page."""

from __future__ import annotations

from notifykit import TITLE, eventually, postgres, receiver, start_api, webhook_channel  # noqa: F401
from structlog.testing import capture_logs


async def test_the_alert_goes_out_without_its_runbooks(start_api, receiver, tmp_path):
    pg = await postgres(start_api, tmp_path, {"hook": webhook_channel(receiver.url("/hook"))})
    try:
        await pg.api.daemon.writer.run(lambda conn: conn.execute("DROP TABLE runbook_links"))
        with capture_logs() as logs:
            await pg.fail()
            await eventually(lambda: receiver.got, timeout=15)
        body = receiver.json(0)
        assert body["reason"] == "opened" and body["runbooks"] == [] and TITLE not in body["text"]
        [unread] = [entry for entry in logs if entry["event"] == "alerts.runbooks_unread"]
        assert "runbook_links" in unread["error"] and unread["incident"] == await pg.incident_id()
    finally:
        pg.close()
