"""The `metrics:` section: off unless enabled, an optional bearer token (usually
`${METRICS_TOKEN}`), every mistake refused as `config.yaml:<line>: metrics.<key>: <message>`,
and the token never shown: not in an error, not in the Config's repr."""

from __future__ import annotations

import textwrap

import pytest

from upstatd.config.load import load_config
from upstatd.config.schema import MetricsSettings

TOKEN = "s3cr3t-metrics-token-0123456789"


def test_it_is_off_without_the_section(make_config):
    assert make_config("monitors: []\n").metrics == MetricsSettings(enabled=False, token=None)


def test_a_good_section_parses_and_takes_the_token_from_the_environment(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent("""\
        monitors: []
        metrics:
          enabled: true
          token: ${METRICS_TOKEN}
        """))
    config = load_config(str(path), environ={"METRICS_TOKEN": TOKEN})
    assert config.metrics == MetricsSettings(enabled=True, token=TOKEN)
    assert TOKEN not in repr(config.metrics) and TOKEN not in repr(config)


@pytest.mark.parametrize("text, expected", [
    pytest.param("metrics: [enabled]\n", ["2: metrics: must be a mapping, got a list"], id="not-a-mapping"),
    pytest.param("metrics:\n  enabled: yes please\n  path: /m\n",
                 ["3: metrics.enabled: must be true or false, got a string",
                  "4: metrics.path: unknown key (expected one of: enabled, token)"], id="bad-enabled-unknown-key"),
    pytest.param("metrics:\n  enabled: true\n  token: short-secret\n",
                 ["4: metrics.token: must be at least 16 characters long, got 12 (use a random string, "
                  "e.g. from `openssl rand -hex 32`, through ${VAR})"], id="short-token"),
    pytest.param("metrics:\n  token: 12345\n",
                 ["3: metrics.token: must be a string of at least 16 characters, got a number"], id="number-token"),
    pytest.param("metrics:\n  token: \"has spaces in the token value\"\n",
                 ["3: metrics.token: must not contain spaces or control characters "
                  "(it is sent in an Authorization header)"], id="token-with-spaces"),
])
def test_a_bad_section_is_refused_with_its_line(config_errors, text, expected):
    path, messages = config_errors("monitors: []\n" + text)
    assert messages == [f"{path}:{line}" for line in expected]
    assert all("short-secret" not in message and "has spaces" not in message for message in messages)
