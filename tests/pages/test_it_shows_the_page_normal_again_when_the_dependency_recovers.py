"""postgres's monitor goes down, then up again: api's resource on the page
shows "Affected: postgres is down" meanwhile, and nothing of it once postgres
is up (no note, no cause under the banner, `affected_by` empty, the banner
back to operational), without waiting for the page's 30 seconds."""

from __future__ import annotations

import pytest

from catalogkit import add_service, lines_of, make_page, monitor, set_state, shown
from upstatd.clock import FakeClock

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_the_page_is_normal_once_postgres_is_up(api):
    path = str(api.db_path)
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    pg_monitor = await monitor(api, "pg", "up", "svc_pg")
    api_monitor = await monitor(api, "api", "up", "svc_api")
    await make_page(api, [(api_monitor, "API")])

    html, data, _ = await shown(api)
    assert lines_of(html, "affected") == [] and data["causes"] == []
    await set_state(api, pg_monitor, "down")
    html, data, _ = await shown(api)
    assert lines_of(html, "affected") == ["Affected: postgres is down"]
    await set_state(api, pg_monitor, "up")
    html, data, _ = await shown(api)
    assert lines_of(html, "affected") == [] and lines_of(html, "cause") == []
    assert data["causes"] == [] and data["sections"][0]["resources"][0]["affected_by"] == []
    assert data["status"]["indicator"] == "operational" and 'class="banner operational"' in html
