"""People tests run the in-process daemon of tests/api/conftest.py (`start_api`,
`api`) and the loopback SMTP server of tests/alerts/alertkit.py (`smtp`): both
loaded under their own names and their fixtures offered here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_here = Path(__file__).parent
sys.path.insert(0, str(_here.parent / "alerts"))  # alertkit (its loopback peers)

from alertkit import smtp  # noqa: E402,F401  (fixture)

_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_for_people", _here.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api
api = _api_conftest.api
