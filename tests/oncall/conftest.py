"""On-call tests at run time run the in-process daemon of tests/api/conftest.py
(`start_api`, `api`: that file is loaded under its own name, both being
"conftest") with the loopback peers of tests/alerts/alertkit.py (`smtp`,
`receiver`), offered here. Helpers: escalatekit (this directory)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_for_oncall", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)  # it puts tests/alerts on sys.path
start_api = _api_conftest.start_api
api = _api_conftest.api

from alertkit import receiver, smtp  # noqa: E402,F401  (fixtures)
