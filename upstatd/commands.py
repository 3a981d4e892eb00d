"""What every resource's commands are built on: the clock they read the time
from, the writer their transactions run on, and the read connection their
lookups use; and the helpers of the resources whose API bodies are checked by
the config file's parser (alert channels, maintenance windows). The use cases
themselves are in <resource>/commands.py."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple, TypeVar

from upstatd.clock import Clock
from upstatd.config.check import Problems
from upstatd.errors import Conflict, NotFound
from upstatd.store.db import Database
from upstatd.store.writer import Writer
from upstatd.subjects import problem

T = TypeVar("T")


class Commands:
    def __init__(self, clock: Clock, writer: Writer, read_db: Database) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db

    def _now_ms(self) -> int:
        return round(self.clock.time() * 1000)


class Changed(NamedTuple):
    """What a change of a config-or-API resource (alert channel, maintenance window) did."""
    row: Any            # the row after (None once deleted)
    changed: bool       # False: nothing to write


def existing(row: T | None, noun: str, ident: str) -> T:
    """The row read, or NotFound naming it: ("alert channel", "ach_x") -> no alert channel with id 'ach_x'."""
    if row is None:
        raise NotFound(f"no {noun} with id '{ident}'")
    return row


def api_param(path: tuple, message: str = "", names: Mapping[str, str] = {}) -> str | None:
    """A config-chain problem's path as the API's param, its first part renamed by `names`
    (("duration",) -> "duration_seconds"; ("monitor_ids", 0) -> "monitor_ids.0"); a missing
    key is named itself: ("email",) + "missing required key 'host'" -> "email.host"."""
    parts = [str(part) for part in path]
    missing = re.match(r"missing required key '([^']+)'", message)
    if missing:
        parts.append(missing.group(1))
    if not parts:
        return None
    parts[0] = names.get(parts[0], parts[0])
    return ".".join(parts)


def no_problems(problems: Problems, names: Mapping[str, str] = {}) -> None:
    """The API body checked by the file's parser: its first problem raised as the API's error
    naming its param (400 for an unknown key, else 422)."""
    if problems.items:
        found = [(path, message) for _, _, message, path in problems.items]
        path, message = found[0]
        raise problem(found, api_param(path, message, names), message)


def refuse_config_managed(row: Any, noun: str, section: str, file: str, verb: str, still: str = "") -> None:
    """A row from the config file is the file's: a 409 naming its entry and what to do instead
    (`still`: what does work over the API, e.g. "overrides work over the API")."""
    if row.managed_by == "config":
        tail = f"; {still}" if still else ""
        raise Conflict(f"{noun} {row.id} is managed by the config file {file} ({section} entry with key "
                       f"'{row.key}'), so it cannot be {verb} over the API: change it in {file} and reload "
                       f"(systemctl reload upstatd){tail}", "managed_by_config")
