"""Alert tests: the senders alone (alertkit's loopback peers), and the daemon of
tests/api/conftest.py (`start_api`, `api`) alerting through them.

Import helpers from `alertkit` (this directory), not from `conftest`; its
fixtures (`receiver`, `smtp`, `pagerduty`) are offered here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alertkit import pagerduty, receiver, smtp  # noqa: F401  (fixtures)

# The daemon fixtures live in tests/api/conftest.py; load that file under its own
# name (both are "conftest") and offer its fixtures here too.
_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_alerts", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api
api = _api_conftest.api
