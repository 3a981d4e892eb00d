"""Headless Chromium reads a page whose api needs a down postgres: the visitor
sees "Affected: postgres is down" beside the operational resource, "Down —
caused by postgres" for the down one and the banner's "postgres is down; API,
Admin affected", at phone and desk widths, with no horizontal scroll and no
console error. `UPSTATD_SCREENSHOTS=docs` keeps the picture the docs show."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from catalogkit import add_service, make_page, monitor
from upstatd.clock import FakeClock

NOW = 1_800_000_000


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is missing: `make test` installs it (as root)")
async def test_the_visitor_reads_the_cause(start_api, tmp_path):
    from browser import Browser
    api = await start_api(clock=FakeClock(wall=NOW))
    path = str(api.db_path)
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    await monitor(api, "pg", "down", "svc_pg")
    up_monitor = await monitor(api, "api", "up", "svc_api")
    down_monitor = await monitor(api, "admin", "down", "svc_api")
    await make_page(api, [(up_monitor, "API"), (down_monitor, "Admin")])
    async with Browser(tmp_path) as browser:
        for width in (360, 1280):
            loaded = await browser.load(f"{api.url}/status/shop", width=width, height=700)
            assert loaded.problems == [], loaded.problems
            assert loaded.scroll_width <= loaded.inner_width == width
            for words in ("Affected: postgres is down", "Down — caused by postgres",
                          "postgres is down; API, Admin affected"):
                assert words in loaded.text, (words, loaded.text)
            name = f"status-page-affected-{width}.png"
            (tmp_path / name).write_bytes(loaded.png)
            if os.environ.get("UPSTATD_SCREENSHOTS") and width == 360:
                Path(os.environ["UPSTATD_SCREENSHOTS"], name).write_bytes(loaded.png)
