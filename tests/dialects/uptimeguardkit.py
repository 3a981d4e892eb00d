"""What the UptimeGuard dialect's tests share: the real daemon over HTTP (tests/api/conftest.py's
`start_api`, loaded here since tests/dialects has no conftest of its own), the seed's example
request, and the shape of its answers."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).parent.parent))  # tests/: loopback
_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_for_uptimeguard", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api

# the seed's alert channels, as config keys ('@' is not a key's character: the email one is written with '.')
CHANNELS_YAML = """
alert_channels:
  - {key: ch_slack_9x2k4m, type: webhook, webhook: {url: "http://127.0.0.1:9/slack"}}
  - {key: ch_email_ops.acmecorp.io, type: webhook, webhook: {url: "http://127.0.0.1:9/email"}}
# and its regions, declared (no agent probes them here)
regions: {us-east-1: {}, eu-west-1: {}, ap-southeast-1: {}}
"""

# the seed's "Create an HTTP Monitor" body (the URL pointed at a closed loopback port: nothing is probed)
CREATE = {
    "name": "ACME Shop — Production",
    "url": "https://127.0.0.1:9/shop",
    "type": "https",
    "interval_seconds": 60,
    "regions": ["us-east-1", "eu-west-1", "ap-southeast-1"],
    "tags": ["production", "ecommerce"],
    "alert_channels": ["ch_slack_9x2k4m", "ch_email_ops.acmecorp.io"],
}

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# the seed's monitor object, field by field (created_at, updated_at: ISO 8601), and what
# upstatd adds: current_state and last_check_at (the seed's GET "includes current status, last check")
MONITOR_FIELDS = {"id", "name", "url", "type", "status", "interval_seconds", "regions", "tags", "alert_channels",
                  "created_at", "updated_at", "current_state", "last_check_at"}
LISTED_FIELDS = MONITOR_FIELDS | {"uptime_24h"}
ERROR_FIELDS = {"code", "message", "request_id"}


def assert_monitor(body: dict, listed: bool = False) -> None:
    assert set(body) == (LISTED_FIELDS if listed else MONITOR_FIELDS), sorted(body)
    assert body["id"].startswith("mon_")
    assert body["status"] in ("active", "paused")
    assert isinstance(body["regions"], list) and isinstance(body["tags"], list)
    assert all(set(channel) == {"id", "type"} for channel in body["alert_channels"])
    assert ISO.match(body["created_at"]) and ISO.match(body["updated_at"]), body


def assert_error(body: dict, code: str) -> None:
    assert ERROR_FIELDS <= set(body["error"]), body
    assert body["error"]["code"] == code, body
    assert body["error"]["request_id"].startswith("req_")
    assert body["error"]["message"]
