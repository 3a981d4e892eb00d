"""`group:` on a monitor or heartbeat: the name of its group (made by naming it),
and a mistake refused as `config.yaml:<line>: <section>[i].group: <message>`."""

from __future__ import annotations


def test_a_group_is_read_from_monitors_and_heartbeats(make_config):
    config = make_config("""\
        monitors:
          - {key: shop, type: tcp, url: "tcp://127.0.0.1:1", group: web}
          - {key: api, type: tcp, url: "tcp://127.0.0.1:2"}
        heartbeats:
          - {key: backup, period: 1d, group: Nightly jobs}
        """)
    assert [spec.group for spec in config.monitors] == ["web", None]
    assert [spec.group for spec in config.heartbeats] == ["Nightly jobs"]


def test_it_names_file_line_and_key_of_a_bad_group(config_errors):
    path, messages = config_errors("""\
        monitors:
          - key: shop
            type: tcp
            url: "tcp://127.0.0.1:1"
            group: 5
        heartbeats:
          - key: backup
            period: 1d
            group: ""
          - key: sync
            period: 1h
            group: %s
        """ % ("x" * 201))
    assert messages == [f"{path}:5: monitors[0].group: must be a string, got a number",
                        f"{path}:9: heartbeats[0].group: must not be empty",
                        f"{path}:12: heartbeats[1].group: must be at most 200 characters"]


def test_upstatd_schema_knows_the_group_key():
    from upstatd.config.json_schema import config_schema
    properties = config_schema()["properties"]
    for section in ("monitors", "heartbeats"):
        group = properties[section]["items"]["properties"]["group"]
        assert group == {"type": "string", "minLength": 1, "maxLength": 200}, section
