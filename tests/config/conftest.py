"""Config tests write real files in tmp_path and load them like the daemon does."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from upstatd.config.load import ConfigError, load_config


@pytest.fixture
def write_config(tmp_path: Path):
    """write_config(yaml_text, name=...) -> path of the dedented text written to tmp_path."""

    def write(text: str, name: str = "config.yaml") -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def config_errors(write_config):
    """config_errors(yaml_text, environ) -> (path, every message load_config raised)."""

    def errors(text: str, environ: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
        path = write_config(text)
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ=environ or {})
        assert str(caught.value) == "\n".join(caught.value.messages)
        return path, caught.value.messages

    return errors
