"""`server.region`, `regions:` and a monitor's `regions`/`quorum`: good ones parse (only an
agent token's SHA-256 is kept), and every mistake is refused as
`config.yaml:<line>: <key path>: <message>`."""

from __future__ import annotations

import hashlib
import os

import pytest

from upstatd.config.load import load_config
from upstatd.regions.quorum import Quorum

TOKEN = "upsa_" + "x" * 40


def test_good_regions_parse(write_config, tmp_path):
    token_file = tmp_path / "agents" / "us-1.token"
    token_file.parent.mkdir()
    token_file.write_text(TOKEN.replace("x", "y") + "\n")
    os.chmod(token_file, 0o600)
    path = write_config("""\
        server: {listen: "127.0.0.1:8080", region: home}
        regions:
          eu: {agents: [{key: eu-1, token: "${EU}"}]}
          us: {agents: [{key: us-1, token_file: agents/us-1.token}]}
          empty: {}
        defaults: {regions: [home, eu], quorum: 2}
        monitors:
          - {key: a, type: tcp, url: "tcp://127.0.0.1:9"}
          - {key: b, type: tcp, url: "tcp://127.0.0.1:9", regions: [us], quorum: all}
        """)
    config = load_config(path, environ={"EU": TOKEN})
    assert config.server.region == "home"
    assert [(r.name, [(a.key, a.region) for a in r.agents]) for r in config.regions] == [
        ("eu", [("eu-1", "eu")]), ("us", [("us-1", "us")]), ("empty", [])]
    assert config.regions[0].agents[0].token_hash == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert TOKEN not in repr(config)
    a, b = config.monitors
    assert (a.regions, a.quorum) == (("home", "eu"), Quorum("count", 2))
    assert (b.regions, b.quorum) == (("us",), Quorum("all"))


def test_the_daemons_own_region_can_be_turned_off(write_config):
    config = load_config(write_config("""\
        server: {region: false}
        regions: {here: {}}
        monitors: [{key: a, type: tcp, url: "tcp://127.0.0.1:9", regions: [here]}]
        """), environ={})
    assert config.server.region is None


@pytest.mark.parametrize("text, expected", [
    ("""\
        regions:
          eu: {agents: [{key: eu-1, token: short}]}
        """, ["2: regions.eu.agents[0].token: an agent token must be at least 32 characters without blanks "
              "(make one with: upstatd agent-token)"]),
    ("""\
        regions:
          eu: {agents: [{key: eu-1}]}
        """, ["2: regions.eu.agents[0]: give the agent's token as exactly one of token (e.g. ${EU_WEST_1_TOKEN}) "
              "or token_file (a file only its owner may read)"]),
    ("""\
        regions:
          local: {}
        """, ["2: regions.local: 'local' is the daemon's own region (server.region): agents probe other regions; "
              "to let agents probe it instead, set server.region to false"]),
    ("""\
        regions:
          EU: {}
        """, ["2: regions.EU: a region name is 1-32 lowercase letters, digits and '-', starting with a letter or "
              "digit, got 'EU'"]),
    (f"""\
        regions:
          eu: {{agents: [{{key: one, token: "{TOKEN}"}}]}}
          us: {{agents: [{{key: one, token: "{TOKEN}y"}}, {{key: two, token: "{TOKEN}"}}]}}
        """, ["3: regions.us.agents[0].key: agent key 'one' is already used in region eu",
              "3: regions.us.agents[1]: this token is already agent one's: give each agent its own token"]),
    ("""\
        monitors:
          - {key: a, type: tcp, url: "tcp://127.0.0.1:9", regions: [local, mars], quorum: most}
        """, ["2: monitors[0].quorum: quorum must be majority, any, all or a number of regions (1 or more), "
              "not 'most'",
              "2: monitors[0].regions[1]: no region 'mars' (regions: local)"]),
    ("""\
        server: {region: false}
        monitors:
          - {key: a, type: tcp, url: "tcp://127.0.0.1:9"}
        """, ["3: monitors[0]: probed from no region: server.region is false, so give regions (or "
              "defaults.regions)"]),
])
def test_mistakes_are_refused_with_file_line_and_key(config_errors, text, expected):
    path, messages = config_errors(text)
    assert messages == [f"{path}:{message}" for message in expected]


def test_a_token_file_others_may_read_is_refused(config_errors, tmp_path):
    token_file = tmp_path / "eu.token"
    token_file.write_text(TOKEN)
    os.chmod(token_file, 0o644)
    path, messages = config_errors(f"""\
        regions:
          eu: {{agents: [{{key: eu-1, token_file: "{token_file}"}}]}}
        """)
    assert messages == [f"{path}:2: regions.eu.agents[0].token_file: {token_file}: group or others may read it "
                        f"(mode 0644); make it readable by its owner only: chmod 600 {token_file}"]
