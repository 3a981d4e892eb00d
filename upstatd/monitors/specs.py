"""Monitors that do not come from the config file: from the API, or read back
from the database at start. Both go through `parse_monitor`, the function
that validates the file, so the API accepts exactly what YAML accepts.

The bridge is the config file's form of a monitor (`shape`): `interval` and
`timeout` in seconds, `confirmation.recheck` in seconds, the type block
under the type's name. The API's names differ only in the `_seconds`
suffixes; `api_param` maps a problem's path back to the API's name.

An API monitor's `key` inside the daemon (its MonitorSpec.key, the
scheduler's key and what its phase is computed from) is its id, `mon_…`.
"""

from __future__ import annotations

import sqlite3
import copy
from typing import Any

from upstatd import subjects
from upstatd.config.check import Path, Problems
from upstatd.config.schema import Defaults, MonitorSpec, parse_monitor
from upstatd.probes.proxy import MASK, shown as shown_proxy
from upstatd.store.monitors import MonitorRow, StoredMonitor, api_monitors

API_NAMES = {"interval": "interval_seconds", "timeout": "timeout_seconds"}
REDACTED = MASK
# Every header value is shown masked except these: an X-Api-Key or any custom header may be a secret.
HARMLESS_HEADERS = frozenset(("accept", "accept-encoding", "accept-language", "cache-control", "connection",
                              "content-type", "host", "origin", "pragma", "referer", "user-agent"))


def shape(row: MonitorRow) -> dict[str, Any]:
    """A stored monitor in the config file's form."""
    spec = row.spec
    out: dict[str, Any] = {
        "key": row.key or row.id,
        "name": row.name,
        "type": row.type,
        "url": row.url,
        "interval": row.interval_ms / 1000,
        "timeout": row.timeout_ms / 1000,
        "confirmation": dict(spec["confirmation"]),
        "severity": spec["severity"],
        "tags": list(spec["tags"]),
        "metadata": dict(row.metadata),
    }
    for name in ("alert_channels", "reminder_interval", "group", "escalation_policy", "service", "regions",
                 "quorum"):
        if spec.get(name) is not None:
            out[name] = copy.deepcopy(spec[name])
    options = spec.get(row.type)
    if options:
        out[row.type] = copy.deepcopy(options)
    return out


def build(monitor: dict[str, Any], defaults: Defaults | None = None) -> tuple[MonitorSpec | None,
                                                                               list[tuple[Path, str]]]:
    """parse_monitor on one monitor in the file's form: the spec, or (path, message) problems."""
    problems = Problems("api")
    spec = parse_monitor(monitor, (), problems, defaults or Defaults())
    return spec, [(path, message) for _, _, message, path in problems.items]


def api_param(path: Path) -> str | None:
    """("interval",) -> "interval_seconds"; ("http", "method") -> "http.method";
    ("confirmation", "recheck") -> "confirmation.recheck_seconds"; ("tags", 0) -> "tags.0"."""
    parts = [str(part) for part in path]
    if not parts:
        return None
    parts[0] = API_NAMES.get(parts[0], parts[0])
    if parts[0] == "confirmation" and len(parts) > 1 and parts[1] == "recheck":
        parts[1] = "recheck_seconds"
    return ".".join(parts)


# -- secrets in type options ---------------------------------------------------------

def _secret_places(kind: str, options: dict) -> list[tuple[dict, str]]:
    """(container, name) of every secret value in a type block: HTTP auth, and every header
    but the harmless ones."""
    if kind != "http" or not isinstance(options, dict):
        return []
    places: list[tuple[dict, str]] = []
    auth = options.get("auth")
    if isinstance(auth, dict):
        if "bearer" in auth:
            places.append((auth, "bearer"))
        basic = auth.get("basic")
        if isinstance(basic, dict) and "password" in basic:
            places.append((basic, "password"))
    headers = options.get("headers")
    if isinstance(headers, dict):
        places.extend((headers, name) for name in headers
                      if isinstance(name, str) and name.lower() not in HARMLESS_HEADERS)
    return places


def redact(kind: str, options: dict) -> dict:
    """The type block as the API shows it: secrets replaced by REDACTED (in a proxy URL,
    its credentials: `http://ana:********@proxy:3128`)."""
    out = copy.deepcopy(options)
    for container, name in _secret_places(kind, out):
        if container[name] is not None:
            container[name] = REDACTED
    if _proxy_url(kind, out) is not None:
        out["proxy"] = shown_proxy(out["proxy"])
    return out


def keep_secrets(kind: str, new: dict, old: dict) -> dict:
    """A block sent back as it was shown (REDACTED where a secret was) keeps the stored secrets."""
    old_values = {_place_path(kind, old, c, n): c[n] for c, n in _secret_places(kind, old)}
    out = copy.deepcopy(new)
    for container, name in _secret_places(kind, out):
        if container[name] == REDACTED:
            stored = old_values.get(_place_path(kind, out, container, name))
            if stored is not None:
                container[name] = stored
    # the proxy URL exactly as shown keeps its credentials; another host or user
    # must come with its own (the parser refuses the mask as credentials)
    stored = _proxy_url(kind, old)
    if stored is not None and _proxy_url(kind, out) == shown_proxy(stored):
        out["proxy"] = stored
    return out


def _proxy_url(kind: str, options: Any) -> str | None:
    value = options.get("proxy") if kind == "http" and isinstance(options, dict) else None
    return value if isinstance(value, str) else None


def _place_path(kind: str, options: dict, container: dict, name: str) -> tuple:
    auth = options.get("auth")
    if container is auth:
        return ("auth", name)
    if isinstance(auth, dict) and container is auth.get("basic"):
        return ("auth", "basic", name)
    return ("headers", name.lower())


def load_api_monitors(conn: sqlite3.Connection) -> list[tuple[MonitorSpec, StoredMonitor]]:
    """The monitors made over the API that still validate, ready to run (subjects.runnable)."""
    found = subjects.runnable("monitor", api_monitors(conn), lambda row: build(shape(row)), api_param)
    return [(spec, row.stored()) for spec, row in found]
