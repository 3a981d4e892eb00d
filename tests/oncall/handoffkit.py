"""The in-process daemon of tests/api/conftest.py (`start_api`) for the on-call
tests that run one: that file loaded under its own name (both are "conftest").
A test module imports the fixture from here: `from handoffkit import start_api`.
Seed the state file first (rowskit) and start on it with `storage_yaml(path)`."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_for_oncall", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api
sys.path.append(str(Path(__file__).parent.parent / "webhooks"))  # hookkit's Receiver


def storage_yaml(path: Path) -> str:
    return f'storage: {{path: "{path}"}}\n'


async def events(api, kind: str) -> list[tuple[float, dict]]:
    """(created, data) of the committed events of type `kind`, oldest first."""
    await api.daemon.writer.flush()
    rows = await api.daemon.read_db.execute_fetchall(
        "SELECT created_at, data FROM events WHERE type = ? ORDER BY seq", (kind,))
    return [(created / 1000, json.loads(data)) for created, data in rows]
