"""`retention.deliveries` (webhook delivery attempts) and `retention.alerts`
(alerts and their attempts): 30 and 90 days unless set, 1 day to 10 years,
each mistake refused as `config.yaml:<line>: retention.<key>: <message>`, and
both in the config file's JSON Schema."""

from __future__ import annotations

import pytest

from upstatd.config.json_schema import config_schema
from upstatd.config.schema import Retention


def test_the_defaults_are_thirty_and_ninety_days(make_config):
    retention = make_config("monitors: []\n").retention
    assert (retention.deliveries, retention.alerts) == (30 * 86400, 90 * 86400)
    assert make_config("monitors: []\nretention: {checks: 2d}\n").retention.alerts == Retention().alerts


def test_set_values_are_read(make_config):
    retention = make_config("monitors: []\nretention:\n  deliveries: 7d\n  alerts: 365d\n").retention
    assert (retention.deliveries, retention.alerts) == (7 * 86400, 365 * 86400)


@pytest.mark.parametrize("text, expected", [
    ("retention:\n  alerts: 1h\n", ["3: retention.alerts: must be >= 1d"]),
    ("retention:\n  checks: 2d\n  deliveries: soon\n",
     ["4: retention.deliveries: must be a duration like 30s, 5m or 1h30m, got 'soon'"]),
    ("retention:\n  deliveries: 4000d\n", ["3: retention.deliveries: must be <= 3650d"]),
])
def test_a_bad_value_is_named_with_its_line(config_errors, text, expected):
    path, messages = config_errors("monitors: []\n" + text)
    assert messages == [f"{path}:{line}" for line in expected]


def test_the_json_schema_has_them():
    properties = config_schema()["properties"]["retention"]["properties"]
    assert {"deliveries", "alerts"} <= set(properties)
    assert properties["alerts"]["anyOf"][0]["minimum"] == 86400
