"""The archive of a page's resolved reports, served by the running daemon at
/status/<slug>/history and /history on the page's custom domain: 20 a page,
newest first, with their updates; "older" and "newer" links that walk every
report once; the page's history links to it; an ETag; a bad cursor a 400
naming it; and a password page's archive behind its password."""

from __future__ import annotations

import re

import aiohttp
import pytest

from upstatd.clock import FakeClock

NOW = 1_800_000_000
LINK = re.compile(r'<a rel="(next|prev)" href="([^"]+)"')
REPORT = re.compile(r'<section class="card report" id="(rpt_[A-Za-z0-9]+)">')


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def page_with_reports(api, resolved: int, **fields) -> tuple[dict, list[str]]:
    """A published page with `resolved` resolved reports (their ids, oldest first) and one active."""
    _, _, page = await api.request("POST", "/api/status-pages", json={
        "name": "Example Shop", "slug": "shop", "published": True, **fields})
    path = f"/api/status-pages/{page['id']}"
    ids = []
    for number in range(resolved):
        status, _, report = await api.request("POST", f"{path}/reports", json={
            "title": f"Incident number {number}", "message": f"Looking at {number}."})
        assert status == 201, report
        status, _, _ = await api.request("POST", f"{path}/reports/{report['id']}/updates", json={
            "status": "resolved", "message": f"Fixed {number}."})
        assert status == 201
        ids.append(report["id"])
        api.clock.advance(60)
    _, _, active = await api.request("POST", f"{path}/reports", json={"title": "Still on", "message": "Ongoing."})
    return {**page, "path": path, "active": active["id"]}, ids


async def get(api, path: str, **headers) -> tuple[int, dict, str]:
    async with api.session.get(api.url + path, headers=headers, allow_redirects=False) as answer:
        return answer.status, answer.headers, await answer.text()


def links(html: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for rel, href in LINK.findall(html)}


async def walk(api, start: str, rel: str) -> list[list[str]]:
    """The reports of each archive page from `start`, following the `rel` links to the end."""
    pages, path = [], start
    while path is not None:
        status, _, html = await get(api, path)
        assert status == 200, html
        pages.append(REPORT.findall(html))
        found = links(html).get(rel)
        path = None if found is None else found.removeprefix(api.url)
        assert len(pages) < 10, "the links go round"
    return pages


async def test_its_links_walk_every_resolved_report_once_newest_first(api):
    page, ids = await page_with_reports(api, 45)
    pages = await walk(api, "/status/shop/history", "next")
    assert [len(shown) for shown in pages] == [20, 20, 5]
    seen = [report for shown in pages for report in shown]
    assert seen == list(reversed(ids)) and page["active"] not in seen  # none repeated, lost or active

    # and back from the last page by the "newer" links
    _, _, html = await get(api, f"/status/shop/history?before={pages[1][-1]}")
    assert REPORT.findall(html) == pages[2] and "next" not in links(html)
    back = await walk(api, links(html)["prev"].removeprefix(api.url), "prev")
    assert back == pages[1::-1]
    _, _, first = await get(api, "/status/shop/history")
    assert "prev" not in links(first)


async def test_it_shows_each_report_with_its_updates(api):
    await page_with_reports(api, 2)
    status, headers, html = await get(api, "/status/shop/history")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for words in ("Incident number 1", "Looking at 1.", "Fixed 1.", "Resolved", "Investigating", "Example Shop"):
        assert words in html, words
    assert "Still on" not in html and "<script" not in html
    assert html.index("Incident number 1") < html.index("Incident number 0")
    _, _, main = await get(api, "/status/shop")
    assert 'href="' + api.url + '/status/shop/history"' in main  # the page's history links to it


async def test_it_answers_with_an_etag_and_the_pages_cache_control(api):
    await page_with_reports(api, 1)
    status, headers, _ = await get(api, "/status/shop/history")
    assert headers["Cache-Control"] == "public, max-age=30" and "default-src 'none'" in headers[
        "Content-Security-Policy"]
    status, _, _ = await get(api, "/status/shop/history", **{"If-None-Match": headers["ETag"]})
    assert status == 304


@pytest.mark.parametrize("query, param", [("before=rpt_nothing", "before"), ("after=rpt_nothing", "after"),
                                          ("page=2", "page"), ("before=x&after=y", "after")])
async def test_it_refuses_a_bad_cursor_naming_it(api, query, param):
    await page_with_reports(api, 1)
    status, headers, text = await get(api, f"/status/shop/history?{query}")
    assert status == 400 and text.startswith(param) and headers["Content-Type"].startswith("text/plain")


async def test_another_pages_report_is_no_cursor(api):
    _, ids = await page_with_reports(api, 1)
    _, _, other = await api.request("POST", "/api/status-pages", json={
        "name": "Other", "slug": "other", "published": True})
    status, _, text = await get(api, f"/status/other/history?before={ids[0]}")
    assert status == 400 and text.startswith("before")


async def test_it_serves_the_archive_on_the_custom_domain(api):
    _, ids = await page_with_reports(api, 21, custom_domain="status.example.com")
    status, _, html = await get(api, "/history", Host="status.example.com")
    assert status == 200 and len(REPORT.findall(html)) == 20
    older = links(html)["next"]
    assert older.startswith(f"{api.url.split('//')[0]}//status.example.com/history?before=")
    status, _, html = await get(api, "/history?" + older.split("?", 1)[1], Host="status.example.com")
    assert REPORT.findall(html) == [ids[0]]
    assert (await get(api, "/history", Host="elsewhere.example.com"))[0] == 404


async def test_a_password_page_asks_for_it_first(api):
    await page_with_reports(api, 1, password="correct horse")
    status, headers, html = await get(api, "/status/shop/history")
    assert status == 401 and 'type="password"' in html and "Incident number" not in html
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as visitor:
        async with visitor.post(api.url + "/status/shop/history?after=x", data={"password": "correct horse"},
                                allow_redirects=False) as answer:
            assert answer.status == 303 and answer.headers["Location"] == "/status/shop/history?after=x"
        async with visitor.get(api.url + "/status/shop/history") as answer:
            assert answer.status == 200 and "Incident number 0" in await answer.text()
            assert answer.headers["Cache-Control"] == "private, no-store"


async def test_an_unpublished_page_has_no_archive(api):
    page, _ = await page_with_reports(api, 1)
    await api.request("PATCH", page["path"], json={"published": False})
    assert (await get(api, "/status/shop/history"))[0] == 404
