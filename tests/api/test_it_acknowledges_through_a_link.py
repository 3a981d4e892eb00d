"""An alert's acknowledge and resolve links (`/incident-links/{token}`, no API
token): GET only shows a page naming the incident with a form (no script) and
changes nothing; the form's POST moves the incident through the incident
commands, recorded in its timeline and its event as done through the link in
an alert; a link whose action is done already says so and changes nothing."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from linkkit import NOW, event_types, follow, incident, link, open_incident, timeline

from upstatd.clock import FakeClock

SINCE = "2027-01-15 08:00:00 UTC"  # NOW


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_get_shows_the_incident_and_a_form_and_changes_nothing(api):
    made = await open_incident(api)
    before = await timeline(api, made["id"])
    for _ in range(3):  # a mail scanner, a chat preview, the person
        status, headers, page = await follow(api, "GET", link(api, made["id"], "acknowledge"))
        assert status == 200, page
        assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Acknowledge this incident?" in page
    assert "Checkout is slow" in page and "open" in page and SINCE in page and made["id"] in page
    assert re.search(r'<form method="post"><button type="submit"[^>]*>Acknowledge the incident</button></form>',
                     page)
    assert "<script" not in page.lower() and "javascript:" not in page.lower()
    assert not re.search(r'(src|href)=', page)  # nothing fetched from anywhere
    assert (await incident(api, made["id"]))["status"] == "open"
    assert await timeline(api, made["id"]) == before
    assert await event_types(api) == ["incident.created"]
    status, _, _ = await follow(api, "HEAD", link(api, made["id"], "acknowledge"))
    assert status == 200
    assert (await incident(api, made["id"]))["status"] == "open"


async def test_post_acknowledges_and_the_timeline_names_the_link(api):
    made = await open_incident(api)
    api.clock.advance(120)
    status, _, page = await follow(api, "POST", link(api, made["id"], "acknowledge"))
    assert status == 200, page
    assert "Incident acknowledged" in page and "through the link in an alert" in page
    assert "<form" not in page
    now = await incident(api, made["id"])
    assert (now["status"], now["acknowledged_by"], now["acknowledged_at"]) == ("acknowledged", "alert link", NOW + 120)
    assert (await timeline(api, made["id"]))[-1] == (
        "acknowledged", "acknowledged", "alert link", "Acknowledged through the link in an alert")
    assert await event_types(api) == ["incident.created", "incident.acknowledged"]


async def test_a_resolve_link_resolves(api):
    made = await open_incident(api)
    api.clock.advance(300)
    status, _, page = await follow(api, "GET", link(api, made["id"], "resolve"))
    assert status == 200 and "Resolve the incident</button>" in page
    status, _, page = await follow(api, "POST", link(api, made["id"], "resolve"))
    assert status == 200, page
    assert "Incident resolved" in page
    now = await incident(api, made["id"])
    assert (now["status"], now["resolved_at"], now["duration_seconds"]) == ("resolved", NOW + 300, 300)
    assert (await timeline(api, made["id"]))[-1] == (
        "resolved", "resolved", "alert link", "Resolved through the link in an alert")


async def test_a_resolve_link_resolves_an_acknowledged_incident(api):
    made = await open_incident(api)
    assert (await follow(api, "POST", link(api, made["id"], "acknowledge")))[0] == 200
    assert (await follow(api, "POST", link(api, made["id"], "resolve")))[0] == 200
    assert [entry[0] for entry in await timeline(api, made["id"])] == ["created", "acknowledged", "resolved"]


async def test_a_system_incident_moves_through_its_links_too(api):
    """A heartbeat's failure opens an incident the daemon tracks in memory (its
    changes go through the writer's queue): the link takes the same path."""
    status, _, beat = await api.request("POST", "/api/heartbeats", json={"name": "Backup", "period_seconds": 3600})
    assert status == 201, beat
    async with aiohttp.ClientSession() as session:
        async with session.get(beat["ping_url"] + "/fail") as answer:
            assert answer.status == 200
    status, _, listed = await api.request("GET", "/api/incidents")
    [opened] = listed["data"]
    assert opened["source"] == "system"
    status, _, page = await follow(api, "POST", link(api, opened["id"], "acknowledge"))
    assert status == 200, page
    assert (await incident(api, opened["id"]))["acknowledged_by"] == "alert link"
    assert api.daemon.incidents.by_subject[beat["id"]].status == "acknowledged"  # the memory follows
    status, _, page = await follow(api, "POST", link(api, opened["id"], "resolve"))
    assert status == 200, page
    assert (await incident(api, opened["id"]))["status"] == "resolved"


@pytest.mark.parametrize("first, second, heading", [
    ("acknowledge", "acknowledge", "Already acknowledged"),
    ("resolve", "acknowledge", "Already resolved"),
    ("resolve", "resolve", "Already resolved"),
])
async def test_a_link_whose_action_is_done_already_says_so_and_changes_nothing(api, first, second, heading):
    made = await open_incident(api)
    assert (await follow(api, "POST", link(api, made["id"], first)))[0] == 200
    before = (await incident(api, made["id"]), await timeline(api, made["id"]), await event_types(api))
    api.clock.advance(60)
    for method in ("POST", "GET"):
        status, headers, page = await follow(api, method, link(api, made["id"], second))
        assert status == 200, page
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert heading in page and "Nothing was changed." in page
        assert "<form" not in page
    assert (await incident(api, made["id"]), await timeline(api, made["id"]), await event_types(api)) == before
    if heading == "Already acknowledged":
        assert "alert link acknowledged this incident at 2027-01-15 08:00:00 UTC" in page


async def test_two_clicks_at_once_acknowledge_once(api):
    """Both may find it open; the second move is refused by the lifecycle, and that
    refusal is the page of an action done already, not an error."""
    made = await open_incident(api)
    path = link(api, made["id"], "acknowledge")
    answers = await asyncio.gather(*(follow(api, "POST", path) for _ in range(4)))
    assert [status for status, _, _ in answers] == [200] * 4
    pages = [page for _, _, page in answers]
    assert sum("Incident acknowledged" in page for page in pages) == 1
    assert sum("Already acknowledged" in page for page in pages) == 3
    assert [entry[0] for entry in await timeline(api, made["id"])] == ["created", "acknowledged"]


async def test_a_closed_incident_says_so(api):
    made = await open_incident(api)
    for action in ("resolve", "close"):
        status, _, body = await api.request("POST", f"/api/incidents/{made['id']}/{action}", json={})
        assert status == 200, body
    for action in ("acknowledge", "resolve"):
        status, _, page = await follow(api, "POST", link(api, made["id"], action))
        assert status == 200 and "Already closed" in page and f"nothing to {action}" in page
    assert (await incident(api, made["id"]))["status"] == "closed"


async def test_an_api_token_is_neither_needed_nor_used(api):
    made = await open_incident(api)
    status, _, page = await follow(api, "POST", link(api, made["id"], "acknowledge"),
                                   headers={"Authorization": "Bearer not-a-token"})
    assert status == 200, page
    assert (await incident(api, made["id"]))["acknowledged_by"] == "alert link"


async def test_a_hostile_title_is_text_on_the_page(api):
    made = await open_incident(api, title="<script>alert('x')</script>")
    status, _, page = await follow(api, "GET", link(api, made["id"], "acknowledge"))
    assert status == 200
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


async def test_the_link_key_is_made_once_and_kept(api):
    made = await open_incident(api)
    path = link(api, made["id"], "acknowledge")
    key = api.daemon.api.link_key
    assert len(key) == 32
    await api.daemon.stop()
    await api.daemon.start()  # the same database: the same key, so links sent before still work
    assert api.daemon.api.link_key == key
    status, _, page = await follow(api, "POST", path)
    assert status == 200, page
