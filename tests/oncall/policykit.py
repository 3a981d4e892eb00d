"""The in-process daemon of tests/api/conftest.py (`start_api`) for the escalation
policy tests: that file is loaded under its own name (both are "conftest") and its
fixture imported by each test module; and the people, schedules and channels the
policies name, written into the state file before the daemon starts on it
(rowskit: their own resources are another part's)."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

from rowskit import add_person, add_schedule

_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_for_policies", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api

LAYER = {"users": ["usr_anna", "usr_bob"], "timezone": "Europe/Riga", "starts_at": "2026-03-06T10:00",
         "length": "weekly"}


def add_personal_channel(path: Path, channel_id: str, person_id: str) -> str:
    """A person's own channel (alert_channels.person_id): a copy of a shared one's row,
    written while the daemon runs (the people part makes these)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("INSERT INTO alert_channels (id, key, managed_by, name, type, settings, events, degraded, "
                         "reminder_interval, digest_window, templates, enabled, created_at, updated_at, person_id) "
                         "SELECT ?, NULL, 'api', name, type, settings, events, degraded, reminder_interval, "
                         "digest_window, templates, enabled, created_at, updated_at, ? FROM alert_channels "
                         "WHERE key = 'mail'", (channel_id, person_id))
    finally:
        conn.close()
    return channel_id


CHANNELS = """\
alert_channels:
  - {key: mail, type: webhook, webhook: {url: "http://127.0.0.1:9/hook"}}
"""


def seed(tmp_path: Path) -> str:
    """Anna and Bob and the `ops` schedule (sch_ops) in a fresh state file; -> the
    `storage:` line for start_api, with a shared alert channel `mail`."""
    path = str(tmp_path / "state" / "upstatd.db")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    add_person(path, "usr_anna", "Anna")
    add_person(path, "usr_bob", "Bob")
    add_schedule(path, "sch_ops", "Ops", [LAYER])
    return f'storage: {{path: "{path}"}}\n' + CHANNELS


def column(db_path: Path, table: str, subject_id: str) -> str | None:
    """A monitor's or heartbeat's stored escalation_policy column."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(f"SELECT escalation_policy FROM {table} WHERE id = ?", (subject_id,)).fetchone()[0]
    finally:
        conn.close()
