"""Migrations and the YAML -> database reconcile."""

from __future__ import annotations

import pytest

from upstatd.store import db
from upstatd.store.monitors import reconcile


@pytest.fixture
def conn(tmp_path):
    path = str(tmp_path / "upstatd.db")
    db.prepare_file(path)
    connection = db.connect(path)
    yield connection
    connection.close()


def test_it_applies_migrations_once(conn):
    newest = db.migrations()[-1][0]
    assert db.migrate(conn) == newest
    assert db.migrate(conn) == newest  # nothing to do the second time
    cursor = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    tables = [row[0] for row in cursor.fetchall()]
    assert {"monitors", "checks", "state_changes"} <= set(tables)
    cursor = conn.execute("PRAGMA journal_mode")
    assert (cursor.fetchone())[0] == "wal"


def test_it_refuses_a_database_from_a_newer_upstatd(conn):
    conn.execute("PRAGMA user_version = 9999")
    with pytest.raises(db.MigrationError, match="schema version 9999, newer than this upstatd knows"):
        db.migrate(conn)


def _reconcile(conn, config, now):
    conn.execute("BEGIN")
    stored = reconcile(conn, config.monitors, now)
    conn.execute("COMMIT")
    return stored


def test_it_reconciles_added_changed_and_removed_monitors(conn, make_config):
    db.migrate(conn)
    first = make_config("""
        monitors:
          - {key: a, type: tcp, url: "tcp://127.0.0.1:1"}
          - {key: b, type: tcp, url: "tcp://127.0.0.1:2"}
          - {key: c, type: tcp, url: "tcp://127.0.0.1:3"}
        """)
    stored = _reconcile(conn, first, 1000.0)
    assert {key: row.state for key, row in stored.items()} == {"a": "pending", "b": "pending", "c": "pending"}
    assert all(row.id.startswith("mon_") for row in stored.values())
    conn.execute("UPDATE monitors SET current_state = 'down', state_since = 1500000 WHERE key = 'b'")
    conn.execute("INSERT INTO checks (monitor_seq, created_at, ok, state, latency_us) "
                       "VALUES (?, 0, 1, 'up', 1)", (stored["c"].seq,))

    second = make_config("""
        monitors:
          - {key: a, type: tcp, url: "tcp://127.0.0.1:1"}
          - {key: b, type: tcp, url: "tcp://127.0.0.1:22", name: Renamed}
          - {key: d, type: tcp, url: "tcp://127.0.0.1:4"}
        """)
    again = _reconcile(conn, second, 2000.0)
    assert again.keys() == {"a", "b", "d"}
    assert again["a"] == stored["a"]                                # untouched
    assert (again["b"].id, again["b"].state, again["b"].since) == (stored["b"].id, "down", 1500.0)
    cursor = conn.execute("SELECT key, name, url, updated_at FROM monitors ORDER BY key")
    rows = [tuple(row) for row in cursor.fetchall()]
    assert rows == [("a", "a", "tcp://127.0.0.1:1", 1_000_000),
                    ("b", "Renamed", "tcp://127.0.0.1:22", 2_000_000),
                    ("d", "d", "tcp://127.0.0.1:4", 2_000_000)]
    cursor = conn.execute("SELECT count(*) FROM checks")
    assert (cursor.fetchone())[0] == 0                     # c's history went with it
