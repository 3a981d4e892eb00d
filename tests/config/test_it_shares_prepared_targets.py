"""Monitors written alike share one prepared probe target (100,000 monitors name a
few), and sharing never hides a mistake: a target is reused only for the same type,
url and options, equal in value and in YAML type."""

from __future__ import annotations

from upstatd.config.load import load_config

HEAD = """\
    storage:
      path: var/upstatd.db
    monitors:
"""


def test_monitors_written_alike_share_their_target(write_config):
    config = load_config(write_config(HEAD + """\
      - {key: a, type: dns, url: example.com, dns: {nameserver: "127.0.0.1:5353"}}
      - {key: b, type: dns, url: example.com, dns: {nameserver: "127.0.0.1:5353"}}
      - {key: c, type: dns, url: example.com, dns: {nameserver: "127.0.0.1:5354"}}
      - {key: d, type: http, url: "http://127.0.0.1:8080/"}
      - {key: e, type: http, url: "http://127.0.0.1:8080/"}
      - {key: f, type: icmp, url: "icmp://127.0.0.1", icmp: {packets: 1}}
      - {key: g, type: icmp, url: "icmp://127.0.0.1", icmp: {packets: 2}}
    """), environ={})
    target = {spec.key: spec.target for spec in config.monitors}
    assert target["a"] is target["b"] and target["d"] is target["e"]
    assert target["c"] is not target["a"] and target["c"].port == 5354
    assert target["g"] is not target["f"] and (target["f"].packets, target["g"].packets) == (1, 2)
    options = {spec.key: spec.options for spec in config.monitors}  # kept once too, and as written
    assert options["a"] is options["b"] and options["a"] == {"nameserver": "127.0.0.1:5353"}
    assert options["c"] == {"nameserver": "127.0.0.1:5354"} and options["d"] == {} == options["e"]


def test_an_option_equal_in_value_but_not_in_type_is_still_a_mistake(config_errors):
    path, messages = config_errors(HEAD + """\
      - {key: a, type: icmp, url: "icmp://127.0.0.1", icmp: {packets: 1}}
      - {key: b, type: icmp, url: "icmp://127.0.0.1", icmp: {packets: true}}
      - {key: c, type: icmp, url: "icmp://127.0.0.1", icmp: {packets: 1.0}}
    """)
    assert [message.split(": ")[:2] for message in messages] == [
        [f"{path}:5", "monitors[1].icmp.packets"], [f"{path}:6", "monitors[2].icmp.packets"]]


def test_a_mistake_is_reported_for_every_monitor_that_makes_it(config_errors):
    path, messages = config_errors(HEAD + """\
      - {key: a, type: tcp, url: "tcp://127.0.0.1"}
      - {key: b, type: tcp, url: "tcp://127.0.0.1"}
    """)
    assert [message.split(": ")[:2] for message in messages] == [
        [f"{path}:4", "monitors[0].url"], [f"{path}:5", "monitors[1].url"]]
