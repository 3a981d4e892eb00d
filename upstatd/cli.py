"""`upstatd run | check-config | status | version`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import time

import upstatd

DEFAULT_CONFIG = os.environ.get("UPSTATD_CONFIG", "/etc/upstatd/config.yaml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="upstatd", description="Uptime and cron-job monitoring daemon.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the daemon in the foreground")
    run.add_argument("-c", "--config", default=DEFAULT_CONFIG, help="YAML config file (default: %(default)s)")
    run.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))

    check = commands.add_parser("check-config", help="validate a config file and list every error")
    check.add_argument("-c", "--config", default=DEFAULT_CONFIG)

    status = commands.add_parser("status", help="show each monitor's state, read from the database")
    status.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")

    probe = commands.add_parser(
        "probe", help="probe one target now and print every phase",
        description="Probe TARGET once and print each phase, the result and why it failed. "
                    "Exit status: 0 up, 1 down, 3 degraded, 2 bad arguments.")
    probe.add_argument("target", help="URL as in the config: https://host/path, tcp://host:port, ...")
    probe.add_argument("--type", dest="kind", help="probe type (default: from the URL scheme)")
    probe.add_argument("--timeout", default="10s", help="the probe's deadline (default: %(default)s)")
    probe.add_argument("-o", "--option", action="append", default=[], metavar="NAME=VALUE",
                       help="an option of the type's config block, value in YAML: -o method=HEAD")
    probe.add_argument("--json", action="store_true", help="print JSON")

    commands.add_parser("version", help="print the version")

    args = parser.parse_args(argv)
    return {"run": cmd_run, "check-config": cmd_check_config, "status": cmd_status,
            "probe": cmd_probe, "version": cmd_version}[args.command](args)


def _load(path: str, loader=None):
    from upstatd.config.load import ConfigError, load_config
    try:
        return (loader or load_config)(path)
    except ConfigError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return None


def cmd_version(args: argparse.Namespace) -> int:
    print(f"upstatd {upstatd.__version__}")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return 1
    count = len(config.monitors)
    print(f"{args.config}: OK, {count} monitor{'' if count == 1 else 's'}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from upstatd import log
    from upstatd.app import AlreadyRunning, Daemon
    from upstatd.probes import ProbeSetupError
    from upstatd.store.db import MigrationError

    log.setup(args.log_level)
    config = _load(args.config)
    if config is None:
        return 1
    try:
        import uvloop
        loop_factory = uvloop.new_event_loop
    except ImportError:  # uvloop is optional where it does not build
        loop_factory = None
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(Daemon(config).serve())
    except (AlreadyRunning, MigrationError, ProbeSetupError, OSError) as exc:
        print(f"upstatd: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from upstatd.probe_once import EXIT, ProbeSetupError, as_json, build_spec, probe_once, report

    spec, errors = build_spec(args.target, args.kind, args.timeout, args.option)
    if spec is None:
        for message in errors:
            print(message, file=sys.stderr)
        return 2
    try:
        result = asyncio.run(probe_once(spec))
    except ProbeSetupError as exc:
        print(f"upstatd: {exc}", file=sys.stderr)
        return 2
    print(as_json(spec, result) if args.json else report(spec, result))
    return EXIT[result.outcome]


def cmd_status(args: argparse.Namespace) -> int:
    from upstatd.config.load import load_storage_path
    from upstatd.store.monitors import read_status

    path = _load(args.config, load_storage_path)
    if path is None:
        return 1
    if not os.path.exists(path):
        print(f"upstatd: no database at {path}: has the daemon run with this config?", file=sys.stderr)
        return 1
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = read_status(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        print(f"upstatd: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(rows, time.time()))
    return 0


def format_table(rows: list[dict], now: float) -> str:
    if not rows:
        return "no monitors"
    lines = [("KEY", "TYPE", "STATE", "SINCE", "LAST CHECK", "LATENCY", "TARGET", "LAST ERROR")]
    for row in rows:
        error = row["last_error"]
        lines.append((
            row["key"] or row["name"], row["type"], row["state"], ago(row["since"], now),
            ago(row["last_check_at"], now),
            "-" if row["latency_ms"] is None else f"{row['latency_ms']:.1f}ms",
            row["url"],
            f"{error['kind']}: {error['message']}" if error else "",
        ))
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in lines)


def ago(timestamp: int | None, now: float) -> str:
    if timestamp is None:
        return "never"
    seconds = max(0, int(now - timestamp))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"
