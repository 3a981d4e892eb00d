"""Store tests: the in-process daemon fixtures of tests/api/conftest.py (`start_api`,
`api`) are offered here too, for the backup, restore and migration tests that need a
running daemon. Helpers are in `backupkit` (this directory)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# Loaded under its own name: both files are "conftest".
_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api
api = _api_conftest.api
