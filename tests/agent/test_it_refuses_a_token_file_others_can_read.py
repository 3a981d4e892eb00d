"""The agent token file must be readable by its owner only, from a flag or the YAML
(as `upstatd mcp` refuses an API token file): the agent does not start."""

from __future__ import annotations

import pytest

from agentkit import AgentProcess, token_file
from upstatd.agent.config import load_agent_config
from upstatd.config.load import ConfigError


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_it_refuses_a_token_file_given_by_flag(tmp_path, mode):
    path = token_file(tmp_path, mode)
    with pytest.raises(ConfigError) as caught:
        load_agent_config(None, server="http://127.0.0.1:1", token_file=str(path), environ={})
    assert caught.value.messages == [
        f"--token-file {path}: group or others may read it (mode {mode:04o}); make it readable by its owner "
        f"only: chmod 600 {path}"]


def test_it_refuses_a_token_file_named_in_the_yaml_on_its_line(tmp_path):
    path = token_file(tmp_path, 0o644)
    config = tmp_path / "agent.yaml"
    config.write_text(f"server: http://127.0.0.1:1\ntoken_file: {path}\n")
    with pytest.raises(ConfigError) as caught:
        load_agent_config(str(config), environ={})
    assert caught.value.messages == [f"{config}:2: token_file: {path}: group or others may read it (mode 0644); "
                                     f"make it readable by its owner only: chmod 600 {path}"]


async def test_the_agent_process_does_not_start(tmp_path):
    path = token_file(tmp_path, 0o644)
    agent = AgentProcess(["--server", "http://127.0.0.1:1", "--token-file", str(path),
                          "--spool", str(tmp_path / "spool.db")], tmp_path / "agent.log", tmp_path)
    try:
        await agent.start(wait_ready=False)
        assert await agent.wait() == 1
        assert f"upstatd agent: --token-file {path}: group or others may read it" in agent.log.read_text()
        assert not (tmp_path / "spool.db").exists()
    finally:
        await agent.close()
