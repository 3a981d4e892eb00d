"""Web needs api, api needs postgres: when postgres's monitor is down (the page
does not show it) and the monitors of api and web on the page are up, both
show "Affected: postgres is down", the banner names the cause once
("postgres is down; API, Website affected") and reads degraded, and
summary.json gives each `affected_by` and the page its `causes`. A resource
of no service shows nothing of it."""

from __future__ import annotations

import pytest

from catalogkit import add_service, lines_of, make_page, monitor, shown
from upstatd.clock import FakeClock

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_the_dependents_on_the_page_name_the_down_service(api):
    path = str(api.db_path)
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    add_service(path, "svc_web", "web", needs=("svc_api",))
    await monitor(api, "pg", "down", "svc_pg")
    api_monitor = await monitor(api, "api", "up", "svc_api")
    web_monitor = await monitor(api, "web", "up", "svc_web")
    alone = await monitor(api, "blog", "up")
    await make_page(api, [(api_monitor, "API"), (web_monitor, "Website"), (alone, "Blog")])

    html, data, _ = await shown(api)
    assert lines_of(html, "affected") == ["Affected: postgres is down", "Affected: postgres is down"]
    assert lines_of(html, "state") == ["Operational", "Operational", "Operational"]
    assert lines_of(html, "cause") == ["postgres is down; API, Website affected"]
    assert 'class="banner degraded"' in html
    resources = {r["name"]: r for r in data["sections"][0]["resources"]}
    assert resources["API"]["affected_by"] == resources["Website"]["affected_by"] == [
        {"name": "postgres", "state": "down"}]
    assert resources["Blog"]["affected_by"] == []
    assert data["status"]["indicator"] == "degraded"
    assert data["causes"] == [{"name": "postgres", "state": "down", "shown_as": [], "affected": ["API", "Website"],
                               "description": "postgres is down; API, Website affected"}]
    assert "svc_" not in html and "svc_" not in str(data)  # services are named, their ids not shown
