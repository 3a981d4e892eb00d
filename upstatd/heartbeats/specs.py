"""Heartbeats that do not come from the config file: made over the API, by a
slug URL with `?create=1`, or read back from the database at start. All go
through `parse_heartbeat`, the function that validates the file, so the API
accepts exactly what YAML accepts. The bridge is the file's form (`shape`):
`period` and `grace` in seconds; the API's names add `_seconds`.
"""

from __future__ import annotations

import copy

import sqlite3
from typing import Any

from upstatd import subjects
from upstatd.config.check import Path, Problems
from upstatd.config.heartbeats import HeartbeatSpec, parse_heartbeat
from upstatd.store.heartbeats import HeartbeatRow, api_heartbeats

API_NAMES = {"period": "period_seconds", "grace": "grace_seconds"}


def shape(row: HeartbeatRow) -> dict[str, Any]:
    """A stored heartbeat in the config file's form."""
    spec = row.spec
    schedule = spec["schedule"]
    out: dict[str, Any] = {
        "key": row.key or row.id,
        "name": row.name,
        "slug": row.slug,
        "timezone": schedule["timezone"],
        "grace": spec["grace"],
        "token": row.token,
        "methods": spec["methods"],
        "manual_resume": spec["manual_resume"],
        "severity": spec["severity"],
        "tags": list(spec["tags"]),
        "metadata": dict(row.metadata),
    }
    if spec.get("body_keywords") is not None:
        out["body_keywords"] = dict(spec["body_keywords"])
    for name in ("alert_channels", "reminder_interval", "group", "escalation_policy", "service"):
        if spec.get(name) is not None:
            out[name] = copy.deepcopy(spec[name])
    kind = schedule["kind"]
    out[kind] = schedule["period"] if kind == "period" else schedule["expression"]
    return out


def build(heartbeat: dict[str, Any]) -> tuple[HeartbeatSpec | None, list[tuple[Path, str]]]:
    """parse_heartbeat on one heartbeat in the file's form: the spec, or (path, message) problems."""
    problems = Problems("api")
    spec = parse_heartbeat(heartbeat, (), problems)
    return spec, [(path, message) for _, _, message, path in problems.items]


def api_param(path: Path) -> str | None:
    """("period",) -> "period_seconds"; ("tags", 0) -> "tags.0"."""
    parts = [str(part) for part in path]
    if not parts:
        return None
    parts[0] = API_NAMES.get(parts[0], parts[0])
    return ".".join(parts)


def load_api_heartbeats(conn: sqlite3.Connection) -> list[tuple[HeartbeatSpec, HeartbeatRow]]:
    """The heartbeats made over the API that still validate, ready to run (subjects.runnable)."""
    return subjects.runnable("heartbeat", api_heartbeats(conn), lambda row: build(shape(row)), api_param)
