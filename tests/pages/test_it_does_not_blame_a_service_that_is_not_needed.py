"""Only a down service that a resource's service needs (directly or through
others) affects it: not a down service it does not need (redis), not a down
service that needs it (web, above api), not a dependency that is degraded or
paused rather than down."""

from __future__ import annotations

import pytest

from catalogkit import add_service, lines_of, make_page, monitor, set_state, shown
from upstatd.clock import FakeClock

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_a_service_it_does_not_need_leaves_it_alone(api):
    path = str(api.db_path)
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_redis", "redis")
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    add_service(path, "svc_web", "web", needs=("svc_api",))
    pg_monitor = await monitor(api, "pg", "degraded", "svc_pg")
    await monitor(api, "redis", "down", "svc_redis")
    await monitor(api, "web", "down", "svc_web")
    api_monitor = await monitor(api, "api", "up", "svc_api")
    await make_page(api, [(api_monitor, "API")])

    html, data, _ = await shown(api)
    assert lines_of(html, "affected") == [] and lines_of(html, "cause") == []
    assert data["sections"][0]["resources"][0]["affected_by"] == [] and data["causes"] == []
    assert data["status"]["indicator"] == "operational"

    await set_state(api, pg_monitor, "down")  # down when it was paused: the service is paused
    await api.daemon.writer.run(lambda conn: conn.execute("UPDATE monitors SET status = 'paused' WHERE id = ?",
                                                          (pg_monitor,)))
    html, data, _ = await shown(api)
    assert lines_of(html, "affected") == [] and data["causes"] == []
