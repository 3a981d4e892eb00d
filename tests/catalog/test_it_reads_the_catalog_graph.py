"""store/catalog.py, the readers grouping, runbooks and pages share: the graph
from a real state file (edges to a service that is gone are left out) and each
service's member states (a paused member counts as paused)."""

from __future__ import annotations

from contextlib import closing

from catalogrows import add_service, NOW_MS
from upstatd.catalog import graph
from upstatd.store import catalog, db


def test_it_reads_edges_names_and_members(tmp_path):
    path = str(tmp_path / "state.db")
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_api", "api", needs=("svc_pg", "svc_gone"))
    with closing(db.connect(path)) as conn, conn:
        conn.execute("INSERT INTO monitors (id, key, managed_by, name, type, url, interval_ms, timeout_ms, spec, "
                     "status, current_state, state_since, service_id, created_at, updated_at) "
                     "VALUES ('mon_a', NULL, 'api', 'a', 'http', 'http://127.0.0.1/', 60000, 10000, '{}', 'paused', "
                     "'down', ?, 'svc_api', ?, ?)", (NOW_MS, NOW_MS, NOW_MS))
    with closing(db.connect(path)) as conn:
        found = catalog.graph(conn)
        states = catalog.member_states(conn)
    assert found.needs == {"svc_api": ("svc_pg",)}
    assert found.names == {"svc_pg": "postgres", "svc_api": "api"}
    assert found.members == {"mon_a": "svc_api"}
    assert states == {"svc_api": ["paused"]} and graph.state(states["svc_api"]) == "paused"
