"""`upstatd probe TARGET`: one probe now, every phase printed, and why it failed.

The target and options go through the same validation as a monitor in the
config file, so what works here works there, with the same messages.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from upstatd.config.check import Problems
from upstatd.config.schema import Defaults, MonitorSpec, parse_monitor
from upstatd.probes import PROBES, ProbeSetupError, run_probe
from upstatd.probes.result import PHASES, ProbeResult

SCHEMES = {"http": "http", "https": "http", "tcp": "tcp", "icmp": "icmp", "tls": "tls", "dns": "dns"}
EXIT = {"up": 0, "down": 1, "degraded": 3}


def guess_type(target: str) -> str | None:
    scheme, sep, _ = target.partition("://")
    return SCHEMES.get(scheme.lower()) if sep else ("dns" if "dns" in PROBES else None)


def build_spec(target: str, kind: str | None, timeout: str, options: list[str]) -> tuple[MonitorSpec | None, list[str]]:
    """A monitor spec from the command line, or the validation messages."""
    problems = Problems("command line")
    kind = kind or guess_type(target)
    if kind is None:
        return None, [f"upstatd probe: cannot tell the probe type of '{target}'; give --type"]
    block: dict[str, Any] = {}
    for option in options:
        name, sep, raw = option.partition("=")
        if not sep or not name:
            return None, [f"upstatd probe: -o {option}: must be NAME=VALUE, e.g. -o method=POST"]
        # Values are YAML, as in the config file: -o expected_status='[200, "3xx"]'
        block[name.strip()] = yaml.safe_load(raw) if raw.strip() else ""
    monitor: dict[str, Any] = {"key": "probe", "type": kind, "url": target, "timeout": timeout}
    if block:
        monitor[kind] = block
    spec = parse_monitor(monitor, (), problems, Defaults(interval=300, timeout=10))
    prefix = f"{problems.file}:1: "  # there are no lines on a command line
    return spec, ["upstatd probe: " + message.removeprefix(prefix) for message in problems.messages()]


async def probe_once(spec: MonitorSpec) -> ProbeResult:
    kind = PROBES[spec.type]
    if kind.open is not None:
        await kind.open()
    try:
        return await run_probe(spec.type, spec.target, spec.timeout)
    finally:
        if kind.close is not None:
            await kind.close()


def report(spec: MonitorSpec, result: ProbeResult) -> str:
    lines = [f"{spec.url} ({spec.type}, timeout {spec.timeout:g}s)"]
    for phase in PHASES:
        if phase in result.phases:
            lines.append(f"  {phase:<22}{result.phases[phase]:>9.1f} ms")
    lines.append(f"  {'total':<22}{result.latency_ms:>9.1f} ms")
    if result.status_code is not None:
        lines.append(f"  {'status':<22}{result.status_code:>9}")
    for name, value in result.details.items():
        shown = json.dumps(value) if isinstance(value, (list, dict)) else value
        lines.append(f"  {name:<22}{shown}")
    verdict = result.outcome
    if result.error_kind:
        lines.append(f"{verdict}: {result.error_kind}: {result.error_message}")
    else:
        lines.append(verdict)
    return "\n".join(lines)


def as_json(spec: MonitorSpec, result: ProbeResult) -> str:
    return json.dumps({
        "url": spec.url, "type": spec.type, "outcome": result.outcome, "ok": result.ok,
        "latency_ms": round(result.latency_ms, 3), "status_code": result.status_code,
        "error_kind": result.error_kind, "error_message": result.error_message,
        "phases": result.phases, "details": result.details,
    }, indent=2)


__all__ = ["EXIT", "ProbeSetupError", "as_json", "build_spec", "probe_once", "report"]
