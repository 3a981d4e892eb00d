"""The worked example of docs/on-call.md, run: the daemon starts on the docs' own
YAML block, with the relay's SMTP server and the manager's phone (an Apprise
URL) made loopback peers, and does what the prose under it says: the shifts
of Tuesday, who is on call on Wednesday at noon, and the pages of an incident
opening then."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from escalatekit import first_probe, paged, settle, tick
from loopback import closed_port, eventually
from upstatd.clock import FakeClock

DOC = Path(__file__).parent.parent.parent / "docs" / "on-call.md"
RELAY = re.compile(r"email: \{host: smtp\.example\.com.*?\}\n", re.S)


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def example() -> str:
    part = DOC.read_text().split("## Worked example", 1)[1]
    return part.split("```yaml\n", 1)[1].split("```", 1)[0]


async def start(start_api, smtp, receiver):
    block, found = RELAY.subn(f"email: {{host: 127.0.0.1, port: {smtp.port}, security: none, "
                              "from: upstatd@example.com, to: [ops@example.com]}\n", example())
    assert found == 1, "the example's relay channel is not where this test looks"
    monitor = f'monitors:\n  - {{key: db, type: tcp, url: "tcp://127.0.0.1:{closed_port()}", interval: 1h, ' \
              "confirmation: {failures: 1}}\n"
    phone = receiver.url("/marta").replace("http://", "json://")
    return await start_api(block + monitor, clock=FakeClock(wall=utc("2026-04-01T08:59:00")),
                           environ={"MARTA_PHONE": phone, "SMTP_PASSWORD": "unused"})


async def test_tuesday_is_bobs_but_the_lead_has_office_hours_and_anna_the_evening(start_api, smtp, receiver):
    api = await start(start_api, smtp, receiver)
    _, _, schedules = await api.request("GET", "/api/on-call")
    ops = schedules["data"][0]["id"]
    status, _, shifts = await api.request(
        "GET", f"/api/on-call/{ops}/shifts?from={utc('2026-03-30T21:00:00'):.0f}&to={utc('2026-04-01T21:00:00'):.0f}")
    assert status == 200
    hours = [(shift["name"].split()[0], (shift["starts_at"] - utc("2026-03-30T21:00:00")) / 3600,
              (shift["ends_at"] - shift["starts_at"]) / 3600) for shift in shifts["data"]]
    assert hours == [("Bob", 0, 9), ("Liga", 9, 8), ("Bob", 17, 1), ("Anna", 18, 5),   # Tuesday, local hours
                     ("Bob", 23, 10), ("Liga", 33, 8), ("Bob", 41, 7)]
    _, _, schedule = await api.request("GET", f"/api/on-call/{ops}")
    assert schedule["current"]["name"] == "Liga Kalnina"      # Wednesday 11:59 in Riga: office hours
    api.clock.advance(utc("2026-04-01T14:00:00") - api.clock.time())
    _, _, schedule = await api.request("GET", f"/api/on-call/{ops}")
    assert schedule["current"]["name"] == "Bob Ozols"         # 17:00: Bob's week shows through


async def test_an_acknowledge_at_12_15_leaves_the_first_two_pages(start_api, smtp, receiver):
    api = await start(start_api, smtp, receiver)
    api.clock.advance(60)                                     # 12:00 in Riga
    incident = await first_probe(api)
    await tick(api, 1)                                        # the wheel past step 1's instant
    await eventually(lambda: paged(smtp) == ["liga"], timeout=10)           # the current on-call: the lead
    await tick(api, 601)
    await eventually(lambda: len(paged(smtp)) >= 4, timeout=3)
    assert sorted(paged(smtp)[1:]) == ["anna", "bob", "liga"]   # the team
    await tick(api, 300)
    status, _, _ = await api.request("POST", f"/api/incidents/{incident['id']}/acknowledge", json={})
    assert status == 200
    await tick(api, 3600)
    await settle()
    assert len(paged(smtp)) == 4 and receiver.got == []      # the manager's phone never rang


async def test_unanswered_it_rings_the_managers_phone_at_12_30_and_starts_round_two(start_api, smtp, receiver):
    api = await start(start_api, smtp, receiver)
    api.clock.advance(60)
    await first_probe(api)
    await tick(api, 1)
    await eventually(lambda: paged(smtp) == ["liga"], timeout=10)
    await tick(api, 601)
    await eventually(lambda: len(paged(smtp)) == 4, timeout=10)
    await tick(api, 1199)
    await settle()
    assert receiver.got == []                                  # not before 12:30
    await tick(api, 2)
    await eventually(lambda: len(receiver.got) == 1, timeout=10)
    assert receiver.got[0].path.startswith("/marta")
    await tick(api, 601)                                       # 12:40: round two, the on-call again
    await eventually(lambda: len(paged(smtp)) == 5, timeout=10)
    assert paged(smtp)[-1] == "liga"
