"""Runbooks written straight into a state file (tables of migration 0021), for the
tests of what reads them (the incident API, notifications, the runbook page)
before the daemon starts on that file."""

from __future__ import annotations

import json

from upstatd.store import db

NOW_MS = 1_700_000_000_000


def add_runbook(path: str, runbook_id: str, title: str, steps: list[str], linked_to: tuple[str, ...] = (),
                body: str = "", tags: list[str] | None = None) -> str:
    """A runbook at version 1, linked to `linked_to` (svc_/mon_/hbt_/esc_ ids)."""
    conn = db.connect(path)
    db.migrate(conn)
    try:
        with conn:
            conn.execute("INSERT INTO runbooks (id, key, managed_by, title, body, steps, tags, version, "
                         "created_at, updated_at) VALUES (?, NULL, 'api', ?, ?, ?, ?, 1, ?, ?)",
                         (runbook_id, title, body, json.dumps(steps), json.dumps(tags or []), NOW_MS, NOW_MS))
            conn.execute("INSERT INTO runbook_versions (runbook_id, version, title, body, steps, tags, author, "
                         "created_at) VALUES (?, 1, ?, ?, ?, ?, 'test', ?)",
                         (runbook_id, title, body, json.dumps(steps), json.dumps(tags or []), NOW_MS))
            conn.executemany("INSERT INTO runbook_links (runbook_id, target_id) VALUES (?, ?)",
                             [(runbook_id, target) for target in linked_to])
    finally:
        conn.close()
    return runbook_id
