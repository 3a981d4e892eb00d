"""When api's monitor on the page is down and postgres, which api needs, is
down too, api's line reads "Down — caused by postgres" in place of "Down"; a
page that shows postgres's own monitor (as "Database") names it in the banner:
"postgres (Database) is down; API affected"."""

from __future__ import annotations

import pytest

from catalogkit import add_service, lines_of, make_page, monitor, shown
from upstatd.clock import FakeClock

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_a_down_dependent_says_what_caused_it(api):
    path = str(api.db_path)
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    pg_monitor = await monitor(api, "pg", "down", "svc_pg")
    api_monitor = await monitor(api, "api", "down", "svc_api")
    await make_page(api, [(api_monitor, "API"), (pg_monitor, "Database")])

    html, data, _ = await shown(api)
    assert lines_of(html, "state") == ["Down — caused by postgres", "Down"]
    assert lines_of(html, "affected") == []
    assert lines_of(html, "cause") == ["postgres (Database) is down; API affected"]
    assert 'class="banner major_outage"' in html
    resources = {r["name"]: r for r in data["sections"][0]["resources"]}
    assert (resources["API"]["state"], resources["API"]["affected_by"]) == ("down", [{"name": "postgres",
                                                                                        "state": "down"}])
    assert resources["Database"]["affected_by"] == []  # the cause itself is down, not affected
    [cause] = data["causes"]
    assert (cause["shown_as"], cause["affected"]) == (["Database"], ["API"])
