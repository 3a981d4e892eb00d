"""The heartbeat reconcile returns the rows it inserted without reading them back: each
must equal the row as the database reads it, whatever the heartbeat says."""

from __future__ import annotations

import pytest

from upstatd.store import db
from upstatd.store import heartbeats as store


@pytest.fixture
def conn(tmp_path):
    path = str(tmp_path / "upstatd.db")
    db.prepare_file(path)
    connection = db.connect(path)
    db.migrate(connection)
    yield connection
    connection.close()


def _reconcile(conn, config, now):
    conn.execute("BEGIN")
    rows = store.reconcile(conn, config.heartbeats, now)
    conn.execute("COMMIT")
    return rows


def test_it_returns_new_and_kept_heartbeats_as_the_database_reads_them(conn, make_config):
    first = make_config("""
        heartbeats:
          - {key: a, period: 1h, grace: 5m}
          - {key: b, cron: "*/5 * * * *", timezone: Europe/Paris, grace: 1m, slug: bee, name: Bee,
             methods: post, manual_resume: true, severity: minor, tags: [x, y], metadata: {team: ops},
             group: nightly, token: 6f1c1f5e-3b8f-4b7e-9a57-0c7f2b3c4d5e}
          - {key: c, oncalendar: "daily", alert_channels: [], reminder_interval: 1h}
        """)
    made = _reconcile(conn, first, 1000.5)
    assert made == store.config_rows(conn)
    assert made["b"].group_id is not None and made["b"].metadata == {"team": "ops"}

    second = make_config("""
        heartbeats:
          - {key: a, period: 1h, grace: 5m}
          - {key: d, period: 10m}
        """)
    kept = _reconcile(conn, second, 2000.0)
    assert kept == store.config_rows(conn)
    assert set(kept) == {"a", "d"} and kept["a"] == made["a"]


def test_it_reads_back_a_changed_heartbeat(conn, make_config):
    _reconcile(conn, make_config("heartbeats:\n  - {key: a, period: 1h}\n  - {key: b, period: 1h}\n"), 1000.0)
    changed = _reconcile(conn, make_config("heartbeats:\n  - {key: a, period: 2h}\n  - {key: c, period: 1h}\n"),
                         2000.0)
    assert changed == store.config_rows(conn)
    assert changed["a"].spec["schedule"]["period"] == 7200.0
