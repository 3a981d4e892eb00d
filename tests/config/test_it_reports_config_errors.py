"""A broken config file is refused with every error at once, each naming the
file, the line and the key path: `config.yaml:14: monitors[2].interval: must be >= 1s`.

Each case is a real file; `expected` lists every message without the leading
"<path>:", so a case fails on a wrong line, path, wording, order or an extra
message.
"""

from __future__ import annotations

import pytest

from upstatd.config.schema import MONITOR_KEYS as MONITOR_FIELDS
from upstatd.probes import PROBES
from upstatd.probes.http import OPTION_KEYS

# Listed the way the messages list them; the lists grow with each probe type and option.
HTTP_KEYS = ", ".join(sorted(OPTION_KEYS))
MONITOR_KEYS = ", ".join(sorted(MONITOR_FIELDS + tuple(PROBES)))
TYPES = ", ".join(PROBES)
SECTIONS = ("alert_channels, api, defaults, heartbeats, incidents, maintenance, metrics, monitors, on_call, people, "
            "pings, "
            "retention, scheduler, server, "
            "storage, webhooks")
METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

# 51 metadata keys, on lines 6..56
TOO_MANY_METADATA = (
    "monitors:\n"
    "  - key: web\n"
    "    type: http\n"
    "    url: https://example.com/\n"
    "    metadata:\n"
    + "".join(f"      k{i}: v\n" for i in range(51))
)

CASES = [
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: "https://example.com/
          - key: db
        """,
        ["4: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar)"],
        id="yaml-unclosed-quote-names-the-line-it-opens-on",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
           type: http
        """,
        ["3: YAML syntax error: expected <block end>, but found '<block mapping start>' "
         "(while parsing a block collection on line 2); check the indentation"],
        id="yaml-bad-indentation",
    ),
    pytest.param(
        "monitors:\n\t- key: web\n",
        ["2: YAML syntax error: found character '\\t' that cannot start any token; indent with spaces, not tabs"],
        id="yaml-tab",
    ),
    pytest.param(
        "",
        ["1: the file is empty; it needs at least a 'monitors' list"],
        id="empty-file",
    ),
    pytest.param(
        """\
        - key: web
          type: http
        """,
        [f"1: the top level must be a mapping of sections ({SECTIONS}), got a list"],
        id="top-level-not-a-mapping",
    ),
    pytest.param(
        """\
        server:
          listen: "127.0.0.1:8080"
        monitor:
          - key: web
        """,
        [f"3: monitor: unknown key (did you mean 'monitors'? expected one of: {SECTIONS})"],
        id="unknown-top-level-key",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            intervall: 30s
        """,
        [f"5: monitors[0].intervall: unknown key (did you mean 'interval'? expected one of: {MONITOR_KEYS})"],
        id="unknown-monitor-key",
    ),
    pytest.param(
        """\
        monitors:
          - name: Web
          - key: db
            type: tcp
        """,
        ["2: monitors[0]: missing required key 'key'",
         "2: monitors[0]: missing required key 'type'",
         "2: monitors[0]: missing required key 'url'",
         "3: monitors[1]: missing required key 'url'"],
        id="missing-key-type-url",
    ),
    pytest.param(
        """\
        monitors:
          - key: gw
            type: smtp
            url: smtp://192.0.2.1
        """,
        [f"3: monitors[0].type: must be one of {TYPES}, got 'smtp'"],
        id="type-not-available-lists-the-allowed-ones",
    ),
    pytest.param(
        """\
        monitors:
          - key: a
            type: tcp
            url: tcp://db:5432
            interval: 0s
          - key: b
            type: tcp
            url: tcp://db:5432
            interval: abc
          - key: c
            type: tcp
            url: tcp://db:5432
            interval: -5
          - key: d
            type: tcp
            url: tcp://db:5432
            interval: true
          - key: e
            type: tcp
            url: tcp://db:5432
            interval: 2d
        """,
        ["5: monitors[0].interval: must be >= 1s",
         "9: monitors[1].interval: must be a duration like 30s, 5m or 1h30m, got 'abc'",
         "13: monitors[2].interval: must be >= 1s",
         "17: monitors[3].interval: must be a duration like 30s, 5m or 1h30m, got a boolean",
         "21: monitors[4].interval: must be <= 1d"],
        id="interval-out-of-range-or-not-a-duration",
    ),
    pytest.param(
        """\
        monitors:
          - key: a
            type: tcp
            url: tcp://db:5432
            interval: nan
          - key: b
            type: tcp
            url: tcp://db:5432
            interval: .inf
          - key: c
            type: tcp
            url: tcp://db:5432
            interval: 1e3
        """,
        ["5: monitors[0].interval: must be a duration like 30s, 5m or 1h30m, got 'nan'",
         "9: monitors[1].interval: must be a duration like 30s, 5m or 1h30m, got inf",
         "13: monitors[2].interval: must be a duration like 30s, 5m or 1h30m, got '1e3'"],
        id="interval-not-a-finite-plain-number",
    ),
    pytest.param(
        """\
        defaults:
          interval: 30s
        monitors:
          - key: a
            type: tcp
            url: tcp://db:5432
            interval: 10s
            timeout: 20s
          - key: b
            type: tcp
            url: tcp://db:5432
            timeout: 1m
          - key: c
            type: tcp
            url: tcp://db:5432
            interval: soon
            timeout: 1m
        """,
        ["8: monitors[0].timeout: must not exceed interval (10s)",
         "12: monitors[1].timeout: must not exceed defaults.interval (30s)",
         "16: monitors[2].interval: must be a duration like 30s, 5m or 1h30m, got 'soon'"],
        id="timeout-longer-than-interval",
    ),
    pytest.param(
        """\
        defaults:
          interval: 5s
          timeout: 10s
          confirmation:
            failures: 0
        monitors:
          - key: a
            type: tcp
            url: tcp://db:5432
            confirmation:
              successes: 101
              recheck: 0
              retries: 3
        """,
        ["3: defaults.timeout: must not exceed defaults.interval (5s)",
         "5: defaults.confirmation.failures: must be >= 1",
         "11: monitors[0].confirmation.successes: must be <= 100",
         "12: monitors[0].confirmation.recheck: must be >= 1s",
         "13: monitors[0].confirmation.retries: unknown key (expected one of: failures, recheck, successes)"],
        id="confirmation-and-defaults-out-of-range",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
          - key: db
            type: tcp
            url: tcp://db:5432
          - key: web
            type: http
            url: https://example.org/
            interval: 0
        """,
        ["8: monitors[2].key: duplicate key 'web' (first used on line 2)",
         "11: monitors[2].interval: must be >= 1s"],
        id="duplicate-monitor-keys-name-the-first",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            type: tcp
        """,
        ["5: monitors[0].type: duplicate key (first given on line 3)"],
        id="duplicate-yaml-mapping-key",
    ),
    pytest.param(
        """\
        server:
          listen: example.com:8080
        """,
        ["2: server.listen: host must be an IP address or localhost, got 'example.com'"],
        id="listen-host-not-an-address",
    ),
    pytest.param(
        """\
        server:
          listen: "127.0.0.1:99999"
          public_url: status.example.com
        """,
        ["2: server.listen: port must be 1-65535, got 99999",
         "3: server.public_url: 'status.example.com' is not valid: must start with http:// or https://"],
        id="listen-port-out-of-range-and-public-url",
    ),
    pytest.param(
        """\
        server:
          trusted_proxies: [10.0.0.0/8, proxy.lan, 300.1.1.1, 7]
        """,
        ["2: server.trusted_proxies[1]: must be an IP address or network like 10.0.0.0/8 or ::1, got 'proxy.lan'"],
        id="trusted-proxies-not-addresses",
    ),
    pytest.param(
        """\
        server:
          trusted_proxies: 10.0.0.0/8
        """,
        ["2: server.trusted_proxies: must be a list of IP addresses or networks like 10.0.0.0/8, got a string"],
        id="trusted-proxies-not-a-list",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: ftp://example.com/
          - key: db
            type: tcp
            url: tcp://db.internal
        """,
        ["4: monitors[0].url: must be an http:// or https:// URL, got 'ftp://example.com/'",
         "7: monitors[1].url: must be tcp://host:port, got 'tcp://db.internal'"],
        id="url-does-not-fit-the-type",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            http:
              method: FETCH
              headers: ["Accept: */*"]
              expected_status: [200, 700]
              verify: false
        """,
        [f"6: monitors[0].http.method: must be one of {METHODS}, got 'FETCH'",
         "7: monitors[0].http.headers: must be a mapping of names to strings, got a list",
         "8: monitors[0].http.expected_status: must be status codes (100-599), classes like 2xx "
         "or ranges like 200-299, got 700",
         f"9: monitors[0].http.verify: unknown key (did you mean 'verify_tls'? expected one of: {HTTP_KEYS})"],
        id="http-options",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            http:
              headers:
                X-Trace: [a, b]
        """,
        ["7: monitors[0].http.headers.X-Trace: must be a string, got a list"],
        id="http-header-value-names-its-line",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            tcp: {}
        """,
        ["5: monitors[0].tcp: 'tcp' options are not allowed on a monitor of type http (its options go in 'http')"],
        id="options-block-of-another-type",
    ),
    pytest.param(
        TOO_MANY_METADATA,
        ["5: monitors[0].metadata: must have at most 50 keys, got 51"],
        id="metadata-too-many-keys",
    ),
    pytest.param(
        f"""\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            metadata:
              team: web
              {"k" * 41}: v
              notes: {"x" * 501}
          - key: db
            type: tcp
            url: tcp://db:5432
            metadata:
              port: 5432
        """,
        ["7: monitors[0].metadata." + "k" * 41 + ": keys must be at most 40 characters, got 41",
         "13: monitors[1].metadata.port: must be a string, got a number"],
        id="metadata-key-too-long-and-value-not-a-string",
    ),
    pytest.param(
        f"""\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            metadata:
              notes: {"x" * 501}
        """,
        ["6: monitors[0].metadata.notes: must be at most 500 characters, got 501"],
        id="metadata-value-too-long",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            tags: prod
          - key: db
            type: tcp
            url: tcp://db:5432
            tags:
              - prod
              - 5432
        """,
        ["5: monitors[0].tags: must be a list of strings, got a string",
         "11: monitors[1].tags[1]: must be a string, got a number"],
        id="tags-not-a-list-of-strings",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://${SITE_HOST}/
            http:
              headers:
                Authorization: "Bearer ${API_TOKEN}"
        """,
        ["4: monitors[0].url: environment variable SITE_HOST is not set",
         "7: monitors[0].http.headers.Authorization: environment variable API_TOKEN is not set"],
        id="undefined-environment-variable-is-not-reported-twice",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            severity: urgent
            timeout: !!float fast
          - key: db
            type: tcp
            url: tcp://db:5432
            interval: !duration 30s
        """,
        ["5: monitors[0].severity: must be one of critical, major, minor, warning, got 'urgent'",
         "6: monitors[0].timeout: 'fast' is not a valid !!float value",
         "10: monitors[1].interval: unsupported YAML tag '!duration'"],
        id="severity-and-yaml-tags",
    ),
    pytest.param(
        """\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            interval: 0s
          - key: db
            type: tcp
            url: tcp://db
            http:
              method: GET
          - key: web
            type: http
            url: https://example.org/
            tags: [ok]
            metadata: []
        scheduler:
          max_in_flight: 0
        storage:
          path: 42
        defaults:
          interval: 1
          timeout: 1ms
        extra: true
        """,
        ["5: monitors[0].interval: must be >= 1s",
         "8: monitors[1].url: must be tcp://host:port, got 'tcp://db'",
         "9: monitors[1].http: 'http' options are not allowed on a monitor of type tcp (its options go in 'tcp')",
         "11: monitors[2].key: duplicate key 'web' (first used on line 2)",
         "15: monitors[2].metadata: must be a mapping of keys to strings, got a list",
         "17: scheduler.max_in_flight: must be >= 1",
         "19: storage.path: must be a string, got a number",
         "22: defaults.timeout: must be >= 100ms",
         f"23: extra: unknown key (expected one of: {SECTIONS})"],
        id="several-errors-all-reported-sorted-by-line",
    ),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_a_broken_file_reports_every_error_with_its_line(config_errors, text, expected):
    path, messages = config_errors(text)
    assert messages == [f"{path}:{message}" for message in expected]


def test_a_missing_file_is_named(tmp_path):
    from upstatd.config.load import ConfigError, load_config

    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.messages == [f"{path}: cannot read: No such file or directory"]


def test_a_proxy_mistake_names_file_line_and_key_and_never_the_password(config_errors):
    path, messages = config_errors("""\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            http:
              proxy: "http://ana:${PROXY_PASSWORD}@proxy.example"
          - key: shop
            type: http
            url: https://shop.example/
            http: {proxy: env}
        """, environ={"PROXY_PASSWORD": "s3cret", "HTTPS_PROXY": "http://127.0.0.1"})
    assert messages == [
        f"{path}:6: monitors[0].http.proxy: must name the proxy's port, like http://proxy.example:3128, "
        "got 'http://ana:********@proxy.example'",
        f"{path}:10: monitors[1].http.proxy: is env, but HTTPS_PROXY in upstatd's environment is not usable: "
        "must name the proxy's port, like http://127.0.0.1:3128, got 'http://127.0.0.1'"]
