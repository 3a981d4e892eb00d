"""Services written straight into a state file, for the tests of what reads the
catalog (grouping, runbooks, status pages) before the daemon starts on that
file: the file is migrated first, as the daemon would. Monitors and heartbeats
join them the real way, by `service_id` over the API or `service:` in YAML (the
membership is their spec's, so a row written behind the daemon's back would not
last)."""

from __future__ import annotations

from upstatd.store import db

NOW_MS = 1_700_000_000_000


def _conn(path: str):
    conn = db.connect(path)
    db.migrate(conn)
    return conn


def add_service(path: str, service_id: str, name: str, needs: tuple[str, ...] = (), **fields) -> str:
    """A service (`fields`: description, owner_type, owner_id, tier) that needs `needs` (svc_ ids)."""
    conn = _conn(path)
    try:
        with conn:
            conn.execute("INSERT INTO services (id, key, managed_by, name, description, owner_type, owner_id, tier, "
                         "created_at, updated_at) VALUES (?, NULL, 'api', ?, ?, ?, ?, ?, ?, ?)",
                         (service_id, name, fields.get("description", ""), fields.get("owner_type"),
                          fields.get("owner_id"), fields.get("tier"), NOW_MS, NOW_MS))
            for depends_on in needs:
                conn.execute("INSERT INTO service_dependencies (service_id, depends_on_id, managed_by, created_at) "
                             "VALUES (?, ?, 'api', ?)", (service_id, depends_on, NOW_MS))
    finally:
        conn.close()
    return service_id

