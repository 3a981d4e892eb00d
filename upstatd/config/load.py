"""Loading the YAML configuration: `load_config(path)` gives a Config or
raises ConfigError carrying every problem as `file:line: key.path: message`."""

from __future__ import annotations

import os
from collections.abc import Mapping

from upstatd.config.check import Problems
from upstatd.config.schema import Config, parse_config, parse_storage
from upstatd.config.source import read_yaml


class ConfigError(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def load_config(path: str, environ: Mapping[str, str] = os.environ) -> Config:
    text = _text(path)
    # A file that loads needs no line numbers: the first pass keeps none (100,000
    # monitors have ~800,000 key paths). A file with a problem is read again with
    # them, so every message still names its line.
    try:
        problems = Problems(path)
        config = parse_config(_data(path, text, problems, environ, lines=False), path, problems, environ)
        if not problems and config is not None:
            return config
    except ConfigError:
        pass
    problems = Problems(path)
    config = parse_config(_data(path, text, problems, environ), path, problems, environ)
    if problems or config is None:
        raise ConfigError(problems.messages())
    return config  # pragma: no cover - the same text and environment gave a problem just before


def load_storage_path(path: str, environ: Mapping[str, str] = os.environ) -> str:
    """Only the database path: `upstatd status` must work while the file has
    errors elsewhere (the daemon keeps running its last good config)."""
    data = _read(path, Problems(path), environ)  # errors elsewhere in the file do not matter here
    problems = Problems(path)
    section = data.get("storage") if isinstance(data, dict) else None
    storage_path = parse_storage(section, ("storage",), problems, path, environ)
    if problems:
        raise ConfigError(problems.messages())
    return storage_path


def read_file(path: str, problems: Problems, environ: Mapping[str, str]):
    """The YAML of a file, `${VAR}` expanded and its lines known to `problems` (the daemon's
    config, the agent's); a file that cannot be read is a ConfigError."""
    return read_yaml(_text(path), problems, environ)


def _text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}"]) from None


def _read(path: str, problems: Problems, environ: Mapping[str, str]):
    return _data(path, _text(path), problems, environ)


def _data(path: str, text: str, problems: Problems, environ: Mapping[str, str], lines: bool = True):
    data = read_yaml(text, problems, environ, lines)
    # Errors in a readable file (an unset ${VAR}, a repeated key) do not stop
    # validation: the caller reports them together with the rest.
    if data is None and problems:
        raise ConfigError(problems.messages())
    if data is None:
        raise ConfigError([f"{path}:1: the file is empty; it needs at least a 'monitors' list"])
    return data
