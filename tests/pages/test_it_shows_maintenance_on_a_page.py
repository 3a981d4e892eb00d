"""A maintenance window on a status page, through the running daemon on a
FakeClock: upcoming (in the page's zone with its UTC offset, in summary.json
and in the feed, read by a feed parser), edited and shown at once, in progress
as soon as its timer flips it (within the page's 30 s cache, not after it),
the banner then "Under maintenance"; after its end gone from the page, feed
and summary, its day marked on the bars. In progress comes first; a deleted
window leaves at once; another page's window is not shown."""

from __future__ import annotations

import re

import feedparser
import pytest
from clockdrive import Target, move_to

from upstatd.clock import FakeClock

NOW = 1_800_000_000  # 2027-01-15 08:00 UTC, 10:00 EET in Riga


@pytest.fixture
async def target():
    made = Target()
    await made.up()
    yield made.port
    await made.down()


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def make_page(api, port: int) -> dict:
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{port}", "name": "web", "interval_seconds": 60})
    _, _, beat = await api.request("POST", "/api/heartbeats", json={"name": "backup", "period_seconds": 86400})
    status, _, page = await api.request("POST", "/api/status-pages", json={
        "name": "Example Shop", "slug": "shop", "published": True, "timezone": "Europe/Riga"})
    assert status == 201, page
    path = f"/api/status-pages/{page['id']}"
    for body in ({"monitor_id": monitor["id"], "public_name": "Website"},
                 {"heartbeat_id": beat["id"], "public_name": "Nightly backup"}):
        status, _, shown = await api.request("POST", f"{path}/resources", json=body)
        assert status == 201, shown
    return {"monitor": monitor["id"], "heartbeat": beat["id"], "path": path}


async def read(api) -> tuple[str, dict, feedparser.FeedParserDict]:
    async with api.session.get(api.url + "/status/shop") as answer:
        assert answer.status == 200
        html = await answer.text()
    async with api.session.get(api.url + "/status/shop/summary.json") as answer:
        summary = await answer.json()
    async with api.session.get(api.url + "/status/shop/feed.rss") as answer:
        feed = feedparser.parse(await answer.text())
    assert not feed.bozo, feed.bozo_exception
    return html, summary, feed


def section(html: str) -> str:
    """The Scheduled maintenance section's HTML ("" when there is none)."""
    found = re.search(r"<h2>Scheduled maintenance</h2>(.*?)(?=<section class=\"card\" aria-label=\"services\")",
                      html, re.S)
    return found.group(1) if found else ""


async def test_a_window_shows_upcoming_then_in_progress_then_on_the_bars(api, target):
    made = await make_page(api, target)
    status, _, window = await api.request("POST", "/api/maintenance", json={
        "title": "Database upgrade", "description": "Checkout is read-only.", "starts_at": NOW + 20,
        "ends_at": NOW + 3620, "monitor_ids": [made["monitor"]], "heartbeat_ids": [made["heartbeat"]]})
    assert status == 201, window
    html, summary, feed = await read(api)
    shown = section(html)
    assert "Database upgrade" in shown and "Scheduled" in shown and "In progress" not in shown
    assert "Checkout is read-only." in shown and "Affects: Website, Nightly backup" in shown
    assert "2027-01-15 10:00 EET (UTC+02:00) – 2027-01-15 11:00 EET (UTC+02:00)" in re.sub(r"<[^>]+>", "", shown)
    assert '<time datetime="2027-01-15T08:00:20Z">' in shown
    assert f'id="{window["id"]}-{NOW + 20}"' in shown
    assert summary["maintenance"] == [{
        "id": window["id"], "title": "Database upgrade", "description": "Checkout is read-only.",
        "starts_at": NOW + 20, "ends_at": NOW + 3620, "status": "scheduled",
        "affected": ["Website", "Nightly backup"]}]
    assert summary["status"]["indicator"] != "maintenance"
    assert [entry.title for entry in feed.entries] == ["Scheduled maintenance: Database upgrade"]
    assert feed.entries[0].link.endswith(f"#{window['id']}-{NOW + 20}")

    api.clock.advance(1)  # an edit is a new updated_at (ms): shown at once, not after the cache's 30 s
    status, _, _ = await api.request("PATCH", f"/api/maintenance/{window['id']}", json={"title": "Postgres 17"})
    assert status == 200
    html, summary, _ = await read(api)
    assert "Postgres 17" in section(html) and summary["maintenance"][0]["title"] == "Postgres 17"

    await move_to(api, NOW + 20)  # 20 s on: the kept copy is still fresh; the timer's flip shows
    html, summary, feed = await read(api)
    shown = section(html)
    assert "In progress" in shown and "Postgres 17" in shown
    assert summary["maintenance"][0]["status"] == "in_progress"
    assert summary["status"] == {"indicator": "maintenance", "description": "Under maintenance"}
    assert [r["state"] for r in summary["sections"][0]["resources"]] == ["maintenance", "maintenance"]
    assert 'class="banner maintenance"' in html
    assert [entry.title for entry in feed.entries] == ["Maintenance in progress: Postgres 17"]

    await move_to(api, NOW + 3620)
    html, summary, feed = await read(api)
    assert section(html) == "" and summary["maintenance"] == [] and feed.entries == []
    titles = re.findall(r'<span class="([a-z ]+)" title="([^"]+)"', html)
    assert len(titles) == 2 * 90
    today = [(css, title) for css, title in titles if title.startswith("2027-01-15")]
    assert len(today) == 2 and all("maint" in css.split() and title.endswith("maintenance") for css, title in today)
    assert not any("maint" in css.split() for css, title in titles if not title.startswith("2027-01-15"))
    assert "a day with maintenance" in html


async def test_one_in_progress_comes_first_and_a_deleted_or_other_pages_window_is_not_shown(api, target):
    made = await make_page(api, target)
    _, _, other = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{target}", "name": "elsewhere"})
    _, _, elsewhere = await api.request("POST", "/api/maintenance", json={
        "title": "Not this page", "starts_at": NOW + 60, "ends_at": NOW + 120, "monitor_ids": [other["id"]]})
    _, _, weekly = await api.request("POST", "/api/maintenance", json={
        "title": "Backups", "rrule": "FREQ=WEEKLY;BYDAY=SU;BYHOUR=3;BYMINUTE=0", "duration_seconds": 3600,
        "timezone": "Europe/Riga", "heartbeat_ids": [made["heartbeat"]]})
    _, _, now_on = await api.request("POST", "/api/maintenance", json={
        "title": "Cabling", "starts_at": NOW - 60, "ends_at": NOW + 600, "monitor_ids": [made["monitor"]]})
    html, summary, _ = await read(api)
    assert "Not this page" not in html and elsewhere["id"]
    assert [(w["title"], w["status"], w["starts_at"], w["affected"]) for w in summary["maintenance"]] == [
        ("Cabling", "in_progress", NOW - 60, ["Website"]),                   # in progress first
        ("Backups", "scheduled", NOW + 41 * 3600, ["Nightly backup"])]     # Sunday 03:00 EET: the next only
    for window in (weekly, now_on):
        status, _, _ = await api.request("DELETE", f"/api/maintenance/{window['id']}")
        assert status == 204
    html, summary, _ = await read(api)  # the same instant: the set of windows changed
    assert section(html) == "" and summary["maintenance"] == []
