"""Region tests: the in-process daemon of tests/api/conftest.py (`start_api`, `api`), with
agents played by the test over real HTTP (regionkit.py), or real agent processes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_regions", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api
api = _api_conftest.api

from regionkit import alertkit  # noqa: E402

receiver = alertkit.receiver  # the fixture: a loopback HTTP receiver for alert channels
