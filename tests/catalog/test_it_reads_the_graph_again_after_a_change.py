"""The grouping's graph is kept in memory (the probe path reads no database) and
read again, off the probe path, after a monitor's or heartbeat's resource event
(and the catalog's `service.*` events): a monitor that joins a service over
the API is a member of it for the grouping once its event is out."""

from __future__ import annotations

from catalogrows import add_service
from clockdrive import wait_for
from groupingkit import config, receiver, start_api  # noqa: F401  (fixtures)
from upstatd.clock import FakeClock


async def test_a_monitor_event_refreshes_the_graph(start_api, receiver, tmp_path):
    path = str(tmp_path / "state.db")
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_api", "api", ("svc_pg",))
    api = await start_api(config(path, receiver), clock=FakeClock(wall=1_800_000_000))
    grouping = api.daemon.grouping
    assert grouping.graph.needs == {"svc_api": ("svc_pg",)} and grouping.graph.members == {}
    status, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "pg", "type": "tcp", "url": "tcp://127.0.0.1:9", "interval_seconds": 3600})
    assert status == 201
    await wait_for(lambda: grouping._refreshing is not None and grouping._refreshing.done())
    assert grouping.graph.members == {}

    status, _, _ = await api.request("PATCH", f"/api/monitors/{monitor['id']}", json={"service_id": "svc_pg"})
    assert status == 200
    await wait_for(lambda: grouping.graph.members == {monitor["id"]: "svc_pg"})
