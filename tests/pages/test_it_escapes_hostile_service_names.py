"""A service named like markup is shown as text wherever the page names it
(the resource's note, the banner's cause, the member it is shown as), never
as markup: the HTML has no script element, only the escaped name."""

from __future__ import annotations

import pytest

from catalogkit import add_service, lines_of, make_page, monitor, shown, text_of
from pagekit import HOSTILE
from upstatd.clock import FakeClock

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_a_hostile_service_name_is_escaped(api):
    path = str(api.db_path)
    add_service(path, "svc_pg", HOSTILE)
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    pg_monitor = await monitor(api, "pg", "down", "svc_pg")
    up_monitor = await monitor(api, "api up", "up", "svc_api")
    down_monitor = await monitor(api, "api down", "down", "svc_api")
    await make_page(api, [(up_monitor, "API"), (down_monitor, "Admin"), (pg_monitor, f"DB {HOSTILE}")])

    html, data, _ = await shown(api)
    assert "<script" not in html.lower()
    assert html.count("&lt;script&gt;") == 5  # two notes, the cause, the member it is shown as, its own line
    assert lines_of(html, "affected") == [f"Affected: {HOSTILE} is down"]
    assert lines_of(html, "cause") == [f"{HOSTILE} (DB {HOSTILE}) is down; API, Admin affected"]
    assert f"Down — caused by {HOSTILE}" in text_of(html)
    assert data["causes"][0]["name"] == HOSTILE  # JSON carries the name as it is
