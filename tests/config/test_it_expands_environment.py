"""`${VAR}` expansion, defaults, storage paths and YAML merge keys, seen
through load_config on real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from upstatd.config.load import load_config


def by_key(config):
    return {monitor.key: monitor for monitor in config.monitors}


# -- ${VAR} -------------------------------------------------------------------

def test_variables_are_expanded_in_plain_and_quoted_strings(write_config):
    path = write_config("""\
        monitors:
          - key: web
            name: "Web on ${SITE}"
            type: http
            url: https://${SITE}/health
            http:
              headers:
                Authorization: 'Bearer ${TOKEN}'
                X-Both: ${SITE}-${TOKEN}
        """)
    config = load_config(path, environ={"SITE": "example.com", "TOKEN": "t0k3n"})
    web = config.monitors[0]
    assert web.name == "Web on example.com"
    assert web.url == "https://example.com/health"
    assert web.target.host == "example.com"
    assert web.target.headers == (("Authorization", "Bearer t0k3n"), ("X-Both", "example.com-t0k3n"))


def test_a_double_dollar_is_a_literal_dollar_and_a_lone_dollar_is_kept(write_config):
    path = write_config("""\
        monitors:
          - key: web
            name: price $$5, not ${PRICE} but $${PRICE}
            type: http
            url: https://example.com/
            http:
              method: POST
              body: "^ok$ costs $5"
              headers:
                X-Pattern: ^ok$
        """)
    web = load_config(path, environ={"PRICE": "7"}).monitors[0]
    assert web.name == "price $5, not 7 but ${PRICE}"
    assert web.target.body == b"^ok$ costs $5"
    assert web.target.headers == (("X-Pattern", "^ok$"),)


def test_a_plain_reference_is_typed_by_its_value_a_quoted_one_stays_a_string(write_config, config_errors):
    path = write_config("""\
        server:
          listen: ${ADDR}:${PORT}
        scheduler:
          max_in_flight: ${N}
        defaults:
          interval: ${EVERY}
        monitors:
          - key: db
            type: tcp
            url: tcp://db:${PORT}
        """)
    config = load_config(path, environ={"ADDR": "127.0.0.1", "PORT": "9090", "N": "250", "EVERY": "45"})
    assert (config.server.host, config.server.port) == ("127.0.0.1", 9090)
    assert config.scheduler.max_in_flight == 250
    assert config.defaults.interval == 45.0
    assert config.monitors[0].interval == 45.0
    assert (config.monitors[0].target.host, config.monitors[0].target.port) == ("db", 9090)

    path, messages = config_errors("""\
        scheduler:
          max_in_flight: "${N}"
        """, environ={"N": "250"})
    assert messages == [f"{path}:2: scheduler.max_in_flight: must be a whole number, got a string"]


def test_an_unset_variable_is_an_error_on_its_line(config_errors):
    path, messages = config_errors("""\
        server:
          listen: 127.0.0.1:8080
        monitors:
          - key: web
            type: http
            url: https://example.com/
            interval: ${WEB_INTERVAL}
          - key: db
            type: tcp
            url: tcp://db:5432
        """, environ={"WEB_INTERVAL_SECONDS": "30"})
    # the value stays unread: no second "must be a duration" error follows
    assert messages == [f"{path}:7: monitors[0].interval: environment variable WEB_INTERVAL is not set"]


def test_a_reference_that_is_not_a_name_is_an_error(config_errors):
    path, messages = config_errors("""\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            http:
              headers:
                X-A: ${bad name}
                X-B: "${}"
                X-C: ${OPEN
        """, environ={"OPEN": "x"})
    hint = "(names are letters, digits and '_'; write $$ for a literal $)"
    assert messages == [
        f"{path}:7: monitors[0].http.headers.X-A: '${{bad name}}' is not a valid environment variable reference {hint}",
        f"{path}:8: monitors[0].http.headers.X-B: '${{}}' is not a valid environment variable reference {hint}",
        f"{path}:9: monitors[0].http.headers.X-C: '${{' is not closed; write ${{NAME}}, or $$ for a literal $",
    ]


def test_an_error_quotes_the_value_as_written_not_the_secret_from_the_environment(config_errors):
    path, messages = config_errors("""\
        monitors:
          - key: web
            type: http
            url: htps://example.com/health?token=${TOKEN}
        """, environ={"TOKEN": "s3cr3t-value"})
    assert messages == [
        f"{path}:4: monitors[0].url: must be an http:// or https:// URL, "
        "got 'htps://example.com/health?token=${TOKEN}'"]


def test_keys_are_names_and_are_not_expanded(write_config):
    path = write_config("""\
        monitors:
          - key: web
            type: http
            url: https://example.com/
            metadata:
              on: call
              ${X}: literal
              404: page
        """)
    web = load_config(path, environ={"X": "expanded"}).monitors[0]
    assert web.metadata == {"on": "call", "${X}": "literal", "404": "page"}


# -- defaults -----------------------------------------------------------------

def test_defaults_apply_to_monitors_without_their_own_values(write_config):
    path = write_config("""\
        defaults:
          interval: 2m
          timeout: 20s
          confirmation:
            failures: 3
            successes: 2
        monitors:
          - key: plain
            type: tcp
            url: tcp://db:5432
          - key: own
            name: Own values
            type: tcp
            url: tcp://db:5432
            interval: 1h30m
            timeout: 500ms
            severity: minor
            confirmation:
              failures: 5
          - key: short
            type: tcp
            url: tcp://db:5432
            interval: 5s
        """)
    monitors = by_key(load_config(path, environ={}))
    plain, own, short = monitors["plain"], monitors["own"], monitors["short"]
    assert (plain.name, plain.interval, plain.timeout, plain.severity) == ("plain", 120.0, 20.0, "critical")
    assert (plain.confirmation.failures, plain.confirmation.successes, plain.confirmation.recheck) == (3, 2, 5.0)
    assert (own.name, own.interval, own.timeout, own.severity) == ("Own values", 5400.0, 0.5, "minor")
    assert (own.confirmation.failures, own.confirmation.successes) == (5, 2)
    # a default timeout never outlasts a shorter interval of the monitor's own
    assert (short.interval, short.timeout) == (5.0, 5.0)


def test_without_a_defaults_section_the_built_in_defaults_apply(write_config):
    path = write_config("""\
        monitors:
          - key: db
            type: tcp
            url: tcp://db:5432
            interval: "90"
        """)
    config = load_config(path, environ={})
    assert (config.defaults.interval, config.defaults.timeout) == (60.0, 10.0)
    db = config.monitors[0]
    assert (db.interval, db.timeout, db.tags, db.metadata) == (90.0, 10.0, (), {})
    assert (config.server.host, config.server.port, config.scheduler.max_in_flight) == ("127.0.0.1", 8080, 1000)


# -- storage.path -------------------------------------------------------------

def test_a_relative_storage_path_is_relative_to_the_config_file(write_config, tmp_path):
    path = write_config("""\
        storage:
          path: data/upstatd.db
        """, name="etc/upstatd/config.yaml")
    config = load_config(path, environ={"STATE_DIRECTORY": "/var/lib/upstatd"})
    assert config.storage_path == str(tmp_path.resolve() / "etc/upstatd/data/upstatd.db")


def test_an_absolute_storage_path_is_kept(write_config):
    path = write_config("""\
        storage:
          path: /srv/upstatd/state.db
        """)
    assert load_config(path, environ={}).storage_path == "/srv/upstatd/state.db"


def test_storage_path_can_come_from_the_environment(write_config):
    path = write_config("""\
        storage:
          path: ${DB}
        """)
    assert load_config(path, environ={"DB": "/srv/db.sqlite"}).storage_path == "/srv/db.sqlite"


@pytest.mark.parametrize("state_directory, expected", [
    ("/var/lib/upstatd", "/var/lib/upstatd/upstatd.db"),
    ("/var/lib/upstatd:/var/lib/other", "/var/lib/upstatd/upstatd.db"),  # systemd joins several with ':'
])
def test_the_default_storage_path_is_in_systemds_state_directory(write_config, state_directory, expected):
    path = write_config("monitors: []\n")
    assert load_config(path, environ={"STATE_DIRECTORY": state_directory}).storage_path == expected


def test_without_a_state_directory_the_database_goes_to_var_beside_the_file(write_config, tmp_path):
    path = write_config("monitors: []\n", name="conf/config.yaml")
    config = load_config(path, environ={})
    assert config.storage_path == str(tmp_path.resolve() / "conf/var/upstatd.db")
    assert os.path.isabs(config.storage_path)


# -- YAML anchors and merge keys ----------------------------------------------

def test_merge_keys_copy_an_anchor_and_written_keys_override_it(write_config):
    path = write_config("""\
        monitors:
          - &web
            key: web-1
            type: http
            url: https://one.example.com/
            interval: 30s
            tags: [web]
            http: &strict
              expected_status: 200
              follow_redirects: false
          - <<: *web
            key: web-2
            url: https://two.example.com/
            interval: 10s
          - key: web-3
            type: http
            url: https://three.example.com/
            http:
              <<: *strict
              method: HEAD
        """)
    monitors = by_key(load_config(path, environ={}))
    assert list(monitors) == ["web-1", "web-2", "web-3"]
    two, three = monitors["web-2"], monitors["web-3"]
    assert (two.type, two.url, two.interval, two.tags) == ("http", "https://two.example.com/", 10.0, ("web",))
    assert (two.target.expected, two.target.follow_redirects) == (((200, 200),), False)
    assert (three.target.method, three.target.expected, three.target.follow_redirects) == (
        "HEAD", ((200, 200),), False)


def test_in_a_list_of_merges_the_earlier_mapping_wins(write_config):
    path = write_config("""\
        defaults:
          confirmation: &fast
            failures: 1
            recheck: 2s
        monitors:
          - key: db
            type: tcp
            url: tcp://db:5432
            confirmation: &slow
              failures: 5
              successes: 3
          - key: cache
            type: tcp
            url: tcp://cache:6379
            confirmation:
              <<: [*fast, *slow]
        """)
    cache = by_key(load_config(path, environ={}))["cache"]
    assert (cache.confirmation.failures, cache.confirmation.successes, cache.confirmation.recheck) == (1, 3, 2.0)


def test_an_error_inside_an_anchor_names_the_anchors_line_for_each_use(config_errors):
    path, messages = config_errors("""\
        monitors:
          - key: web-1
            type: http
            url: https://one.example.com/
            http: &opts
              method: FETCH
          - key: web-2
            type: http
            url: https://two.example.com/
            http: *opts
          - <<: &tpl
              type: http
              interval: 0s
            key: web-3
            url: https://three.example.com/
          - <<: *tpl
            key: web-4
            url: https://four.example.com/
            interval: 1m
        """)
    methods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    assert messages == [
        f"{path}:6: monitors[0].http.method: must be one of {methods}, got 'FETCH'",
        f"{path}:6: monitors[1].http.method: must be one of {methods}, got 'FETCH'",
        f"{path}:13: monitors[2].interval: must be >= 1s",
        # monitors[3] overrides the bad interval: no error
    ]


def test_a_merge_of_something_else_than_a_mapping_is_an_error(config_errors):
    path, messages = config_errors("""\
        monitors:
          - key: db
            type: tcp
            url: tcp://db:5432
            confirmation:
              <<: 5
        """)
    assert messages == [
        f"{path}:6: monitors[0].confirmation.<<: must be an alias of a mapping (<<: *name) or a list of them, "
        "got '5'"]


def test_a_recursive_alias_is_an_error_not_a_crash(config_errors):
    path, messages = config_errors("""\
        monitors: &all
          - key: db
            type: tcp
            url: tcp://db:5432
          - *all
        """)
    assert messages == [
        f"{path}:5: monitors[1]: an alias refers to a collection that contains it; "
        "recursive YAML structures are not allowed",
        # and no "must be a mapping" for the value that could not be built
    ]


def test_an_anchored_value_with_an_unknown_tag_is_reported_for_each_use(config_errors):
    path, messages = config_errors("""\
        monitors:
          - key: a
            type: tcp
            url: tcp://db:5432
            interval: &every !duration 5s
          - key: b
            type: tcp
            url: tcp://db:5432
            interval: *every
        """)
    assert messages == [
        f"{path}:5: monitors[0].interval: unsupported YAML tag '!duration'",
        f"{path}:5: monitors[1].interval: unsupported YAML tag '!duration'",
    ]


def test_it_refuses_a_file_that_expands_without_bound(tmp_path):
    from upstatd.config.load import ConfigError, load_config

    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 9):  # 10^9 values once expanded
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    lines.append("monitors: *a8")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(str(path), environ={})
    assert caught.value.messages == [
        f"{path}:1: the file expands to more than 1,000,000 values (aliases of aliases?); refusing to build it"]


def test_it_ignores_x_sections_that_hold_anchors(tmp_path):
    from upstatd.config.load import load_config

    path = tmp_path / "config.yaml"
    path.write_text(
        "x-web: &web {type: http, interval: 15s}\n"
        "monitors:\n"
        "  - {<<: *web, key: a, url: 'http://127.0.0.1:1/'}\n")
    config = load_config(str(path), environ={})
    assert [(m.key, m.type, m.interval) for m in config.monitors] == [("a", "http", 15.0)]
