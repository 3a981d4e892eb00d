"""The worked example of docs/catalog.md, run: the daemon starts on the docs' own
YAML block, its SMTP relay and its three hosts made loopback peers, and does what
the prose under it says: Postgres stops and one email names its runbook; the API
and the website fail seconds later and are caused by it, their alerts suppressed;
their incidents show the runbook and a step marked done lands in the timeline; the
status page names the cause; everything recovers with one recovery email."""

from __future__ import annotations

import os
import re
from pathlib import Path

from groupingkit import HttpTarget, start_api  # noqa: F401  (a fixture)
from alertkit import smtp  # noqa: F401  (a fixture)
from clockdrive import Target, move_to, probe
from loopback import eventually
from upstatd.clock import FakeClock

DOC = Path(__file__).parent.parent.parent / "docs" / "catalog.md"
RELAY = re.compile(r"email: \{host: smtp\.example\.com.*?\}\n", re.S)
PUBLIC = "https://upstat.example.com"


def example() -> str:
    part = DOC.read_text().split("## Worked example", 1)[1]
    return part.split("```yaml\n", 1)[1].split("```", 1)[0]


def made_local(block: str, smtp, pg: Target, api: HttpTarget, web: HttpTarget) -> str:
    swaps = [(RELAY, f"email: {{host: 127.0.0.1, port: {smtp.port}, security: none, "
                     "from: upstatd@example.com, to: [ops@example.com]}\n"),
             (re.compile(r"tcp://db\.internal:5432"), f"tcp://127.0.0.1:{pg.port}"),
             (re.compile(r"http://api\.internal:8000/healthz"), f"http://127.0.0.1:{api.port}/health"),
             (re.compile(r"https://www\.example\.com/\n"), f"http://127.0.0.1:{web.port}/health\n")]
    for pattern, local in swaps:
        block, found = pattern.subn(local, block)
        assert found == 1, f"the example's {pattern.pattern} is not where this test looks"
    return block


def text_of(mail) -> str:
    return mail.part("plain").replace("\r\n", "\n")


async def test_the_postgres_outage_of_the_worked_example(start_api, smtp):
    pg, api_host, web_host = Target(), await HttpTarget().start(), await HttpTarget().start()
    await pg.up()
    try:
        api = await start_api(made_local(example(), smtp, pg, api_host, web_host), clock=FakeClock(wall=1_800_000_000),
                              server=f'public_url: "{PUBLIC}"', environ={"SMTP_PASSWORD": "unused"})
        _, _, listed = await api.request("GET", "/api/monitors")
        ids = {monitor["key"]: monitor["id"] for monitor in listed["data"]}
        for key in ("pg", "api-health", "web-home"):
            await probe(api, key)
        _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Shop", "slug": "shop",
                                                                          "published": True})
        for key, name in (("web-home", "Website"), ("api-health", "API")):
            status, _, made = await api.request("POST", f"/api/status-pages/{page['id']}/resources",
                                                json={"monitor_id": ids[key], "public_name": name})
            assert status == 201, made

        # Postgres stops: two failures (the second at the re-check), one incident, one email
        await pg.down()
        await probe(api, "pg")
        await probe(api, "pg")
        await eventually(lambda: len(smtp.mails) >= 1, timeout=10)
        down = text_of(smtp.mails[0])
        if os.environ.get("UPSTATD_PRINT_EXAMPLE"):  # docs/catalog.md shows this text
            print(f"Subject: {smtp.mails[0].message['Subject']}\n\n{down}")
        assert smtp.mails[0].message["Subject"] == "[DOWN] monitor Database is down (connection_error)"
        assert re.search(r"\nRunbooks:\n- Postgres is down: https://upstat\.example\.com/runbooks/rbk_\w+\?t=\S+\n"
                         r"  1\. Check the disk on db1: df -h /var/lib/postgresql\n"
                         r"  2\. Look at the log: journalctl -u postgresql -n 100\n"
                         r"  3\. Restart it: systemctl restart postgresql\n  \.\.\. 1 more step\n", down), down

        # the API and the website a few seconds later: caused by Postgres's incident, not paged
        await move_to(api, api.clock.time() + 3)
        await api_host.down()
        await web_host.down()
        for key in ("api-health", "web-home", "api-health", "web-home"):
            await probe(api, key)
        incidents = {}
        for key in ("pg", "api-health", "web-home"):
            _, _, found = await api.request("GET", f"/api/incidents?monitor_id={ids[key]}")
            incidents[key] = found["data"][0]
        root = incidents["pg"]["id"]
        assert incidents["api-health"]["caused_by"] == root and incidents["web-home"]["caused_by"] == root
        _, _, alerts = await api.request("GET", "/api/alerts?limit=100")
        assert sorted((alert["reason"], alert["status"]) for alert in alerts["data"]
                      if alert["incident_id"] != root) == [("dependency", "suppressed")] * 2
        _, _, updates = await api.request("GET", f"/api/incidents/{incidents['api-health']['id']}/updates")
        assert f"Caused by Postgres: {root} (API depends on it); its alerts are suppressed" in [
            entry["message"] for entry in updates["data"]]

        # the dependent's incident shows Postgres's runbook; a step marked done is in the root's timeline
        _, _, shown = await api.request("GET", f"/api/incidents/{incidents['api-health']['id']}")
        [runbook] = shown["runbooks"]
        assert runbook["title"] == "Postgres is down" and len(runbook["steps"]) == 4
        status, _, _ = await api.request("POST", f"/api/incidents/{root}/runbooks/{runbook['id']}/steps/1")
        assert status == 200
        _, _, updates = await api.request("GET", f"/api/incidents/{root}/updates")
        assert any(entry["kind"] == "runbook_step" and entry["message"].startswith(
            "Step 1 of “Postgres is down” done: Check the disk on db1") for entry in updates["data"])

        # the status page names the cause
        async with api.session.get(f"{api.url}/status/shop") as answer:
            html = " ".join(re.sub(r"<[^>]+>", " ", await answer.text()).split())
        assert "Major outage API (API) is down; Website affected Postgres is down; Website, API affected" in html, html
        assert "Website Down — caused by API and Postgres" in html and "API Down — caused by Postgres" in html, html

        # everything recovers: all resolved, one recovery email (Postgres's)
        await pg.up()
        await api_host.up()
        await web_host.up()
        for key in ("pg", "api-health", "web-home"):
            await probe(api, key)
        _, _, everything = await api.request("GET", "/api/incidents?limit=10")
        assert {incident["status"] for incident in everything["data"]} == {"resolved"}
        await eventually(lambda: len(smtp.mails) >= 2, timeout=10)
        await move_to(api, api.clock.time() + 60)
        subjects = [mail.message["Subject"] for mail in smtp.mails]
        assert len(subjects) == 2 and subjects[1].startswith("[RECOVERED] monitor Database"), subjects
    finally:
        await pg.down()
        await api_host.close()
        await web_host.close()
