"""Which runbooks an incident shows: its monitor's, its service's, its service's
dependencies' nearest first, its escalation policy's; each once, where it first
comes (runbooks/incident.py, and store/runbook_reads.py on a real state file)."""

from __future__ import annotations

from contextlib import closing

import pytest

from catalogrows import add_service
from runbookrows import add_runbook, NOW_MS
from upstatd.catalog.graph import Graph
from upstatd.runbooks.incident import linked_targets, ordered_runbooks
from upstatd.store import db, runbook_reads

GRAPH = Graph({"svc_web": ("svc_api",), "svc_api": ("svc_pg", "svc_redis")},
              {"svc_web": "web", "svc_api": "api", "svc_pg": "postgres", "svc_redis": "redis"},
              {"mon_web": "svc_web", "mon_pg": "svc_pg"})


@pytest.mark.parametrize("subject, policy, expected", [
    ("mon_web", None, ["mon_web", "svc_web", "svc_api", "svc_pg", "svc_redis"]),
    ("mon_pg", "esc_db", ["mon_pg", "svc_pg", "esc_db"]),
    ("mon_loose", None, ["mon_loose"]),                       # in no service
    (None, "esc_db", ["esc_db"]),                             # a manual incident
    (None, None, []),
])
def test_it_lists_the_targets_nearest_first(subject, policy, expected):
    assert linked_targets(subject, GRAPH, policy) == expected


@pytest.mark.parametrize("links, expected", [
    ({}, []),
    ({"svc_pg": ["rbk_pg"]}, [("rbk_pg", "svc_pg")]),
    ({"mon_web": ["rbk_web"], "svc_pg": ["rbk_pg", "rbk_web"]}, [("rbk_web", "mon_web"), ("rbk_pg", "svc_pg")]),
    ({"esc_db": ["rbk_esc"], "svc_api": ["rbk_api"]}, [("rbk_api", "svc_api"), ("rbk_esc", "esc_db")]),
])
def test_it_shows_each_runbook_once_where_it_first_comes(links, expected):
    assert ordered_runbooks(["mon_web", "svc_web", "svc_api", "svc_pg", "esc_db"], links) == expected


def test_it_reads_an_incidents_runbooks_from_the_state_file(tmp_path):
    path = str(tmp_path / "state.db")
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    add_runbook(path, "rbk_pg", "Postgres is down", ["Check disk", "Fail over"], linked_to=("svc_pg",))
    add_runbook(path, "rbk_other", "Unrelated", ["x"], linked_to=("svc_elsewhere",))
    with closing(db.connect(path)) as conn, conn:
        conn.execute("INSERT INTO monitors (id, key, managed_by, name, type, url, interval_ms, timeout_ms, spec, "
                     "status, current_state, state_since, service_id, created_at, updated_at) "
                     "VALUES ('mon_api', NULL, 'api', 'api', 'http', 'http://127.0.0.1/', 60000, 10000, '{}', "
                     "'active', 'down', ?, 'svc_api', ?, ?)", (NOW_MS, NOW_MS, NOW_MS))
        conn.execute("INSERT INTO incidents (id, status, severity, type, source, title, subject_id, started_at, "
                     "created_at, updated_at) VALUES ('inc_1', 'open', 'critical', 'timeout', 'system', 'api down', "
                     "'mon_api', ?, ?, ?)", (NOW_MS, NOW_MS, NOW_MS))
        conn.execute("INSERT INTO incident_runbook_steps VALUES ('inc_1', 'rbk_pg', 1, 2, 'tok ops', ?)", (NOW_MS,))
    with closing(db.connect(path)) as conn:
        found = runbook_reads.for_incident(conn, "inc_1")
        unknown = runbook_reads.for_incident(conn, "inc_nope")
    assert [(r.id, r.title, r.version, r.steps, r.via) for r in found] == [
        ("rbk_pg", "Postgres is down", 1, ["Check disk", "Fail over"], "svc_pg")]
    assert found[0].steps_done == [{"step": 2, "version": 1, "done_by": "tok ops", "done_at": NOW_MS}]
    assert unknown == []
