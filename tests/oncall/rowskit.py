"""People and schedules written straight into a state file, for the tests of
what reads them (escalation) before the daemon starts on that file: the file
is migrated first, as the daemon would."""

from __future__ import annotations

import msgspec

from upstatd.store import db

NOW_MS = 1_700_000_000_000


def add_person(path: str, person_id: str, name: str, contact_methods: list[dict] | None = None,
               email: str | None = None) -> str:
    conn = db.connect(path)
    try:
        db.migrate(conn)
        with conn:
            conn.execute("INSERT INTO people (id, key, managed_by, name, email, contact_methods, created_at, "
                         "updated_at) VALUES (?, NULL, 'api', ?, ?, ?, ?, ?)",
                         (person_id, name, email, msgspec.json.encode(contact_methods or []).decode(),
                          NOW_MS, NOW_MS))
    finally:
        conn.close()
    return person_id


def add_schedule(path: str, schedule_id: str, name: str, layers: list[dict],
                 overrides: list[tuple[str, float, float]] = ()) -> str:
    """`layers` in the core's shape (oncall.layers.Layer as a dict); overrides (user, start s, end s)."""
    conn = db.connect(path)
    try:
        db.migrate(conn)
        with conn:
            cursor = conn.execute("INSERT INTO on_call_schedules (id, key, managed_by, name, layers, created_at, "
                                  "updated_at) VALUES (?, NULL, 'api', ?, ?, ?, ?)",
                                  (schedule_id, name, msgspec.json.encode(layers).decode(), NOW_MS, NOW_MS))
            for number, (user, start, end) in enumerate(overrides):
                conn.execute("INSERT INTO on_call_overrides (id, schedule_seq, managed_by, user_id, starts_at, "
                             "ends_at, created_at) VALUES (?, ?, 'api', ?, ?, ?, ?)",
                             (f"ovr_{schedule_id}{number}", cursor.lastrowid, user, round(start * 1000),
                              round(end * 1000), NOW_MS))
    finally:
        conn.close()
    return schedule_id


def add_policy(path: str, policy_id: str, name: str, steps: list[dict], repeat: int = 0,
               repeat_delay_seconds: float = 0.0, is_default: bool = False) -> str:
    """`steps` in the core's shape: [{wait_seconds, targets: [{type, id}]}]."""
    conn = db.connect(path)
    try:
        db.migrate(conn)
        conn.execute("INSERT INTO escalation_policies (id, key, managed_by, name, steps, repeat, "
                     "repeat_delay_seconds, is_default, created_at, updated_at) VALUES (?, NULL, 'api', ?, ?, ?, ?, ?, "
                     "?, ?)", (policy_id, name, msgspec.json.encode(steps).decode(), repeat, repeat_delay_seconds,
                               int(is_default), NOW_MS, NOW_MS))
    finally:
        conn.close()
    return policy_id
