"""Headless Chromium loads a page with an uploaded SVG logo and its archive
from the running daemon: the logo is fetched from the daemon under the
page's CSP (img-src 'self'), with no console error and no request to any
other origin, and the archive has no horizontal scroll at 360 px."""

from __future__ import annotations

import shutil

import pytest

from upstatd.clock import FakeClock

NOW = 1_800_000_000
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
       b'<rect width="120" height="40" fill="#1f6feb"/></svg>')


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is missing: `make test` installs it (as root)")
async def test_the_logo_and_the_archive_load_from_the_daemon_alone(start_api, tmp_path):
    from browser import Browser
    api = await start_api(clock=FakeClock(wall=NOW))
    _, _, page = await api.request("POST", "/api/status-pages", json={
        "name": "Example Shop", "slug": "shop", "published": True})
    path = f"/api/status-pages/{page['id']}"
    status, _, page = await api.request("PUT", f"{path}/logo", data=SVG, headers={"Content-Type": "image/svg+xml"})
    assert status == 200, page
    for number in range(25):
        _, _, report = await api.request("POST", f"{path}/reports", json={
            "title": f"Incident {number} " + "unbreakable" * 12, "message": "x" * 300})
        await api.request("POST", f"{path}/reports/{report['id']}/updates", json={
            "status": "resolved", "message": "Fixed."})
    async with Browser(tmp_path) as browser:
        for address in ("/status/shop", "/status/shop/history"):
            loaded = await browser.load(api.url + address, width=360, height=800)
            assert loaded.problems == [], (address, loaded.problems)
            assert {url.split("/status/")[0] for url in loaded.requests} == {api.url}, loaded.requests
            assert api.url + page["logo_url"] in loaded.requests, (address, loaded.requests)
            assert loaded.scroll_width <= loaded.inner_width == 360, address
            (tmp_path / f"{address.replace('/', '-')}.png").write_bytes(loaded.png)
