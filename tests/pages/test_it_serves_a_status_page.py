"""A published status page served by the running daemon: its HTML with the
banner, sections, bars and reports; an ETag; the feed (read by a feed parser)
and summary.json; a resolved report moving to the history; badges only for
monitors shown on a public page; a password asked for and remembered in a
signed cookie; and headless Chromium loading it at 360 px with no console
error, no request elsewhere and no horizontal scroll."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import aiohttp
import feedparser
import pytest

from loopback import closed_port
from upstatd.clock import FakeClock
from upstatd.store.monitors import INSERT_STATE_CHANGE

NOW = 1_800_000_000
DAY = 86400


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def make_page(api) -> dict:
    made = {}
    for name in ("shop", "hidden"):
        status, _, made[name] = await api.request("POST", "/api/monitors", json={
            "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "name": name})
        assert status == 201
        await api.request("POST", f"/api/monitors/{made[name]['id']}/pause")
    rows = await api.daemon.read_db.execute_fetchall("SELECT seq FROM monitors WHERE id = ?", (made["shop"]["id"],))
    seq = rows[0][0]

    def history(conn):
        conn.execute("UPDATE monitors SET created_at = ?, status = 'active', current_state = 'down', "
                     "state_since = ? WHERE seq = ?", ((NOW - 30 * DAY) * 1000, (NOW - 600) * 1000, seq))
        conn.execute("DELETE FROM monitor_pauses WHERE monitor_seq = ?", (seq,))
        for at, before, after in ((NOW - 30 * DAY, "pending", "up"), (NOW - 600, "up", "down")):
            conn.execute(INSERT_STATE_CHANGE, (seq, at * 1000, before, after, None, None, None))
    await api.daemon.writer.run(history)
    status, _, page = await api.request("POST", "/api/status-pages", json={
        "name": "Example Shop", "slug": "shop", "published": True, "footer_text": "<b>Ops</b>"})
    assert status == 201, page
    path = f"/api/status-pages/{page['id']}"
    _, _, section = await api.request("POST", f"{path}/sections", json={"name": "Storefront"})
    status, _, shown = await api.request("POST", f"{path}/resources", json={
        "monitor_id": made["shop"]["id"], "section_id": section["id"], "public_name": "Website"})
    assert status == 201, shown
    status, _, report = await api.request("POST", f"{path}/reports", json={
        "title": "Checkout is failing", "message": "We are looking into it."})
    assert status == 201, report
    return {"page": page, "path": path, "report": report, "monitors": made}


async def get(api, path: str, **headers) -> tuple[int, dict, str]:
    async with api.session.get(api.url + path, headers=headers, allow_redirects=False) as answer:
        return answer.status, answer.headers, await answer.text()


async def test_it_serves_the_page_its_feed_and_summary(api):
    made = await make_page(api)
    status, headers, html = await get(api, "/status/shop")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for words in ("Example Shop", "Major outage", "Storefront", "Website", "Checkout is failing",
                  "We are looking into it.", "&lt;b&gt;Ops&lt;/b&gt;"):
        assert words in html, words
    assert html.count('title="') >= 90 and "script" not in html.lower().replace("noscript", "")
    assert headers["Cache-Control"] == "public, max-age=30" and "default-src 'none'" in headers[
        "Content-Security-Policy"]
    status, _, _ = await get(api, "/status/shop", **{"If-None-Match": headers["ETag"]})
    assert status == 304

    status, _, text = await get(api, "/status/shop/feed.rss")
    feed = feedparser.parse(text)
    assert status == 200 and not feed.bozo and [e.title for e in feed.entries] == ["Checkout is failing: Investigating"]
    async with api.session.get(api.url + "/status/shop/summary.json") as answer:
        summary = await answer.json()
    assert summary["status"]["indicator"] == "major_outage"
    assert summary["sections"][0]["resources"][0]["name"] == "Website"
    assert summary["incidents"][0]["title"] == "Checkout is failing"

    # resolved: the report moves to the history (the page's row changed: made again at once)
    status, _, _ = await api.request("POST", f"{made['path']}/reports/{made['report']['id']}/updates", json={
        "status": "resolved", "message": "Fixed."})
    assert status == 201
    async with api.session.get(api.url + "/status/shop/summary.json") as answer:
        summary = await answer.json()
    assert summary["incidents"] == [] and summary["history"][0]["title"] == "Checkout is failing"

    assert (await get(api, "/status/nothing"))[0] == 404
    await api.request("PATCH", made["path"], json={"published": False})
    assert (await get(api, "/status/shop"))[0] == 404


async def test_it_draws_badges_only_for_monitors_on_a_public_page(api):
    made = await make_page(api)
    shop, hidden = made["monitors"]["shop"]["id"], made["monitors"]["hidden"]["id"]
    status, headers, text = await get(api, f"/badge/{shop}/status.svg")
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(text)
    assert root.get("aria-label") == "Website: down"
    status, _, text = await get(api, f"/badge/{shop}/uptime.svg")
    assert status == 200 and "Website 30d" in text and ET.fromstring(text) is not None
    async with api.session.get(f"{api.url}/badge/{shop}/shields.json") as answer:
        assert (await answer.json())["schemaVersion"] == 1
    assert (await get(api, f"/badge/{hidden}/status.svg"))[0] == 404
    await api.request("PATCH", made["path"], json={"password": "correct horse"})
    assert (await get(api, f"/badge/{shop}/status.svg"))[0] == 404  # a protected page is not public


async def test_it_asks_for_a_password_and_remembers_it(api):
    made = await make_page(api)
    status, _, _ = await api.request("PATCH", made["path"], json={"password": "correct horse"})
    assert status == 200
    status, _, html = await get(api, "/status/shop")
    assert status == 401 and 'type="password"' in html and "Website" not in html
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as visitor:  # an IP host
        async with visitor.post(api.url + "/status/shop", data={"password": "wrong"}) as answer:
            assert answer.status == 401
        async with visitor.post(api.url + "/status/shop", data={"password": "correct horse"},
                                allow_redirects=False) as answer:
            assert answer.status == 303
        async with visitor.get(api.url + "/status/shop") as answer:
            assert answer.status == 200 and "Website" in await answer.text()
            assert answer.headers["Cache-Control"] == "private, no-store"
        await api.request("PATCH", made["path"], json={"password": "a new one!"})  # ends every cookie
        async with visitor.get(api.url + "/status/shop") as answer:
            assert answer.status == 401


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is missing: `make test` installs it (as root)")
async def test_it_renders_in_a_real_browser_at_phone_width(api, tmp_path):
    from browser import Browser
    made = await make_page(api)
    shop = made["monitors"]["shop"]["id"]
    for body in ({"title": "Network switch replacement", "starts_at": NOW - 5 * DAY, "ends_at": NOW - 5 * DAY + 3600,
                  "monitor_ids": [shop]},  # past: marks a day on the bars
                 {"title": "Database upgrade to PostgreSQL 17", "starts_at": NOW + DAY, "ends_at": NOW + DAY + 7200,
                  "description": "Checkout is read-only for up to two hours; browsing is not affected.",
                  "monitor_ids": [shop]}):
        status, _, window = await api.request("POST", "/api/maintenance", json=body)
        assert status == 201, window
    status, _, html = await get(api, "/status/shop")
    assert "Scheduled maintenance" in html and "Database upgrade to PostgreSQL 17" in html and " maint\"" in html
    async with Browser(tmp_path) as browser:
        for width, dark in ((360, False), (1280, False), (360, True)):
            loaded = await browser.load(f"{api.url}/status/shop", width=width, height=900, dark=dark)
            assert loaded.problems == [], loaded.problems
            assert {url.split("/status/")[0] for url in loaded.requests} == {api.url}, loaded.requests
            assert loaded.scroll_width <= loaded.inner_width == width
            assert loaded.png.startswith(b"\x89PNG")
            name = f"status-page-{width}{'-dark' if dark else ''}.png"
            (tmp_path / name).write_bytes(loaded.png)
            if os.environ.get("UPSTATD_SCREENSHOTS"):  # the README's picture: UPSTATD_SCREENSHOTS=docs make test
                Path(os.environ["UPSTATD_SCREENSHOTS"], name).write_bytes(loaded.png)
