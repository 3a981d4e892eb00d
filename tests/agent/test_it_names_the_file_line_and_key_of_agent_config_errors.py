"""`upstatd agent`'s settings: errors in the YAML name file, line and key as the
daemon's loader does; flags beat the environment, which beats the file."""

from __future__ import annotations

import textwrap

import pytest

from agentkit import token_file
from agentpeer import TOKEN
from upstatd.agent.config import load_agent_config
from upstatd.config.load import ConfigError


def write(tmp_path, text: str) -> str:
    path = tmp_path / "agent.yaml"
    path.write_text(textwrap.dedent(text).replace("TOKEN_FILE", str(token_file(tmp_path))))
    return str(path)


@pytest.mark.parametrize("text, expected", [
    ("""\
     server: https://upstatd.example.com
     token_file: TOKEN_FILE
     spool:
       max_size: lots
     """, ":4: spool.max_size: must be a size like 100KiB, 1MiB or 4096 (bytes), got 'lots'"),
    ("""\
     server: https://upstatd.example.com
     token_file: TOKEN_FILE
     spool:
       max_age: 1 week
     """, ":4: spool.max_age: must be a duration like 30s, 5m or 1h30m, got '1 week'"),
    ("""\
     server: ftp://upstatd.example.com
     token_file: TOKEN_FILE
     """, ":1: server: 'ftp://upstatd.example.com' is not an http:// or https:// URL with a host"),
    ("""\
     token_file: TOKEN_FILE
     server: https://ana:secret@upstatd.example.com
     """, ":2: server: must not carry credentials (user:password@): the agent token is the agent's"),
    ("""\
     server: https://upstatd.example.com
     token_file: TOKEN_FILE
     regoin: eu-west
     """, ":3: regoin: unknown key (did you mean 'region'? expected one of: max_in_flight, region, server, spool, "
         "token_file)"),
    ("""\
     server: https://upstatd.example.com
     token_file: TOKEN_FILE
     max_in_flight: 0
     """, ":3: max_in_flight: must be >= 1"),
    ("""\
     server: https://upstatd.example.com
     token_file: TOKEN_FILE
     max_in_flight: "300"
     """, ":3: max_in_flight: must be a whole number, got a string"),  # as the daemon's own file
    ("""\
     server: https://upstatd.example.com
     token_file: TOKEN_FILE
     region: eu west
     """, ":3: region: a region name is 1-32 lowercase letters, digits and '-', starting with a letter or digit, "
         "got 'eu west'"),
    ("""\
     server: https://upstatd.example.com
     token_file: /nonexistent/agent.token
     """, ":2: token_file: /nonexistent/agent.token: cannot read it: No such file or directory"),
    ("""\
     server: https://upstatd.example.com
     token_file: TOKEN_FILE
     spool: {path: "${SPOOL_DIR}/spool.db"}
     """, ":3: spool.path: environment variable SPOOL_DIR is not set"),
    ("""\
     server: https://upstatd.example.com
       token_file: TOKEN_FILE
     """, ":2: YAML syntax error"),
])
def test_it_names_file_line_and_key(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_agent_config(path, environ={})
    assert any(message.startswith(path + expected) for message in caught.value.messages), caught.value.messages


def test_a_flag_or_variable_that_is_not_a_number_is_named(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_agent_config(None, server="http://127.0.0.1:1", token_file=str(token_file(tmp_path)),
                          max_in_flight="many", environ={})
    assert caught.value.messages == ["--max-in-flight: must be a whole number, got 'many'"]
    with pytest.raises(ConfigError) as caught:
        load_agent_config(None, server="http://127.0.0.1:1", token_file=str(token_file(tmp_path)),
                          environ={"UPSTATD_AGENT_MAX_IN_FLIGHT": "100001"})
    assert caught.value.messages == ["UPSTATD_AGENT_MAX_IN_FLIGHT: must be <= 100000"]


def test_a_missing_server_or_token_says_where_to_give_it(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_agent_config(None, environ={})
    assert caught.value.messages == ["no server: give --server URL, set UPSTATD_AGENT_SERVER or write `server:` "
                                     "in the config file"]
    with pytest.raises(ConfigError) as caught:
        load_agent_config(None, server="http://127.0.0.1:8080", environ={})
    assert "no agent token: give --token-file FILE, set UPSTATD_AGENT_TOKEN" in caught.value.messages[0]


def test_flags_beat_the_environment_which_beats_the_file(tmp_path):
    path = write(tmp_path, """\
        server: https://from-file.example.com
        token_file: TOKEN_FILE
        region: file-region
        max_in_flight: 300
        spool: {path: /tmp/from-file.db, max_size: 1MiB, max_age: 2h}
        """)
    other = tmp_path / "other.token"
    other.write_text("upsa_from_flag")
    other.chmod(0o600)
    environ = {"UPSTATD_AGENT_SERVER": "https://from-env.example.com", "UPSTATD_AGENT_TOKEN": "upsa_from_env",
               "UPSTATD_AGENT_REGION": "env-region", "UPSTATD_AGENT_MAX_IN_FLIGHT": "200"}

    from_file = load_agent_config(path, environ={})
    assert (from_file.server, from_file.token, from_file.region) == ("https://from-file.example.com", TOKEN,
                                                                     "file-region")
    assert (from_file.spool_path, from_file.spool_max_size, from_file.spool_max_age) == ("/tmp/from-file.db",
                                                                                         1024 * 1024, 7200.0)
    assert from_file.max_in_flight == 300
    assert load_agent_config(None, server="http://127.0.0.1:1", token_file=str(token_file(tmp_path)),
                             environ={}).max_in_flight == 1000  # the default
    from_env = load_agent_config(path, environ=environ)
    assert (from_env.server, from_env.token, from_env.region) == ("https://from-env.example.com", "upsa_from_env",
                                                                  "env-region")
    assert from_env.max_in_flight == 200
    from_flags = load_agent_config(path, server="http://127.0.0.1:1", token_file=str(other), region="flag-region",
                                   spool=str(tmp_path / "flag.db"), max_in_flight="50", environ=environ)
    assert from_flags.max_in_flight == 50
    assert (from_flags.server, from_flags.token, from_flags.region, from_flags.spool_path) == (
        "http://127.0.0.1:1", "upsa_from_flag", "flag-region", str(tmp_path / "flag.db"))
    assert "upsa_" not in repr(from_flags)  # a config in a log line or traceback


def test_a_relative_token_file_is_read_beside_the_file(tmp_path, monkeypatch):
    made = token_file(tmp_path)
    monkeypatch.chdir("/")  # not where the file is
    path = write(tmp_path, f"server: https://upstatd.example.com\ntoken_file: {made.name}\n")
    assert load_agent_config(path, environ={}).token == TOKEN
