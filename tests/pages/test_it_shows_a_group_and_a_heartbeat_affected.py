"""A group on the page is affected by what its members' services need, each
cause once ("Affected: postgres is down" once though two members' services
need it), and a heartbeat by what its own service needs; a heartbeat of the
failing service itself, late, makes that service degraded, not down: nothing
is named until it is down."""

from __future__ import annotations

import pytest

from catalogkit import add_service, lines_of, monitor, shown
from upstatd.clock import FakeClock

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def heartbeat(api, name: str, state: str, service_id: str) -> str:
    status, _, made = await api.request("POST", "/api/heartbeats", json={"name": name, "period_seconds": 3600,
                                                                      "service_id": service_id})
    assert status == 201, made
    await api.request("POST", f"/api/heartbeats/{made['id']}/pause")
    await api.daemon.writer.run(lambda conn: conn.execute(
        "UPDATE heartbeats SET status = 'active', current_state = ? WHERE id = ?", (state, made["id"])))
    return made["id"]


async def test_a_group_and_a_heartbeat_name_their_cause(api):
    path = str(api.db_path)
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    add_service(path, "svc_web", "web", needs=("svc_api",))
    add_service(path, "svc_jobs", "jobs", needs=("svc_pg",))
    backup = await heartbeat(api, "pg backup", "late", "svc_pg")
    _, _, group = await api.request("POST", "/api/monitor-groups", json={"name": "Front"})
    for name, service in (("api", "svc_api"), ("web", "svc_web")):
        made = await monitor(api, name, "up", service)
        status, _, _ = await api.request("PATCH", f"/api/monitors/{made}", json={"group_id": group["id"]})
        assert status == 200
    nightly = await heartbeat(api, "nightly", "up", "svc_jobs")
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Shop", "slug": "shop",
                                                                      "published": True})
    for body in ({"group_id": group["id"], "public_name": "Front end"},
                 {"heartbeat_id": nightly, "public_name": "Nightly job"}):
        status, _, made = await api.request("POST", f"/api/status-pages/{page['id']}/resources", json=body)
        assert status == 201, made

    html, data, _ = await shown(api)
    assert lines_of(html, "affected") == [] and data["causes"] == []  # postgres is degraded (late), not down

    await api.daemon.writer.run(lambda conn: conn.execute(
        "UPDATE heartbeats SET current_state = 'down' WHERE id = ?", (backup,)))
    html, data, _ = await shown(api)
    assert lines_of(html, "affected") == ["Affected: postgres is down", "Affected: postgres is down"]
    assert lines_of(html, "cause") == ["postgres is down; Front end, Nightly job affected"]
    assert [r["affected_by"] for r in data["sections"][0]["resources"]] == [[{"name": "postgres", "state": "down"}]] * 2
