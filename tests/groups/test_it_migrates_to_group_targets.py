"""Migration 0016 on a database at 0015 with a status page resource: the rows
and both indexes of status_page_resources are kept, its kind now takes
`group` (and still refuses anything else), and maintenance windows gain
`group_ids`, '[]' for the windows there were."""

from __future__ import annotations

import sqlite3

import pytest

from upstatd.store.db import migrate, migrations


def at_0015(path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for number, _, sql in migrations():
        if number <= 15:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    return conn


def test_resources_and_windows_survive_and_groups_fit(tmp_path):
    conn = at_0015(tmp_path / "upstatd.db")
    conn.execute("INSERT INTO status_page_resources (id, page_seq, section_seq, position, kind, subject_seq, "
                 "subject_id, public_name, show_uptime, created_at, updated_at) "
                 "VALUES ('spr_1', 1, NULL, 0, 'monitor', 7, 'mon_7', 'Website', 0, 10, 20)")
    conn.execute("INSERT INTO maintenance_windows (id, managed_by, title, kind, starts_at, ends_at, created_at, "
                 "updated_at) VALUES ('mnt_1', 'api', 'Upgrade', 'once', 1, 2, 3, 4)")

    assert migrate(conn) >= 16
    assert conn.execute("SELECT seq, id, page_seq, section_seq, position, kind, subject_seq, subject_id, "
                        "public_name, show_uptime, created_at, updated_at FROM status_page_resources").fetchall() == [
        (1, "spr_1", 1, None, 0, "monitor", 7, "mon_7", "Website", 0, 10, 20)]
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(status_page_resources)")}
    assert {"status_page_resources_by_page", "status_page_resources_by_subject"} <= indexes
    assert conn.execute("SELECT group_ids FROM maintenance_windows").fetchall() == [("[]",)]

    conn.execute("INSERT INTO status_page_resources (id, page_seq, position, kind, subject_seq, subject_id, "
                 "public_name, created_at, updated_at) VALUES ('spr_2', 1, 1, 'group', 3, 'grp_3', 'Web', 1, 1)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO status_page_resources (id, page_seq, position, kind, subject_seq, subject_id, "
                     "public_name, created_at, updated_at) VALUES ('spr_3', 1, 2, 'other', 3, 'x', 'X', 1, 1)")
