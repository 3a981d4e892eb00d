"""`upstatd run | check-config | status | probe | token | notify-test | mcp | agent | schema | backup | restore |
version | init`, and `upstatd --version`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sqlite3
import sys
import time

import upstatd

DEFAULT_CONFIG = os.environ.get("UPSTATD_CONFIG", "/etc/upstatd/config.yaml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="upstatd", description="Uptime and cron-job monitoring daemon.")
    # The same line as `upstatd version`; argparse prints it and exits 0 before COMMAND is required.
    parser.add_argument("--version", action="version", version=f"upstatd {upstatd.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the daemon in the foreground")
    run.add_argument("-c", "--config", default=DEFAULT_CONFIG, help="YAML config file (default: %(default)s)")
    run.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))

    check = commands.add_parser("check-config", help="validate a config file and list every error")
    check.add_argument("-c", "--config", default=DEFAULT_CONFIG)

    status = commands.add_parser("status", help="show each monitor's and heartbeat's state, read from the database")
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

    token = commands.add_parser(
        "token", help="create, list and revoke API tokens (works with the daemon running or not)",
        description="API tokens, written straight to the database: works whether the daemon runs "
                    "or not, and a revocation counts at once. Run it as the daemon's user.")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    token_create = token_commands.add_parser(
        "create", help="make a token and print its secret (shown only this once)",
        description="Make a token. The secret goes to stdout alone (SECRET=$(upstatd token create ...)); "
                    "the rest to stderr. It is shown only this once.")
    token_create.add_argument("--name", required=True, help="what the token is for (1-100 characters)")
    token_create.add_argument("--permissions", required=True, metavar="SPEC",
                              help="resource:action list, like 'monitors:read,incidents:*', or '*' for all")
    token_create.add_argument("--expires", metavar="DURATION", help="expire after this long: 30d, 12h, 90m")
    token_create.add_argument("--json", action="store_true",
                              help="print the token as the API shows it, secret included, as JSON")
    token_create.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    token_list = token_commands.add_parser("list", help="list tokens, newest first (never their secrets)")
    token_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    token_list.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    token_revoke = token_commands.add_parser("revoke", help="revoke a token: it stops working at once")
    token_revoke.add_argument("id", help="the token's id, tok_...")
    token_revoke.add_argument("-c", "--config", default=DEFAULT_CONFIG)

    notify = commands.add_parser(
        "notify-test", help="send a test message through an alert channel now",
        description="Send one test message through CHANNEL now and print the attempt (ok or failed, status "
                    "code, latency, error). Works with the daemon running or not; the test is recorded as "
                    "an alert (reason test) when the database knows the channel. Exit status: 0 sent, "
                    "1 failed, 2 unknown channel or bad arguments.")
    notify.add_argument("channel", metavar="CHANNEL", help="the channel's key in the config file, or its id (ch_...)")
    notify.add_argument("-c", "--config", default=DEFAULT_CONFIG)

    mcp = commands.add_parser(
        "mcp", help="serve MCP (for AI agents) on stdin/stdout, forwarding to the daemon's /mcp",
        description="An MCP server on stdin/stdout for clients that launch one, passing every request to the "
                    "running daemon's /mcp with an API token: the token's permissions decide the tools offered. "
                    f"The token is read from --token-file (readable by its owner only) or ${{UPSTATD_TOKEN}}. "
                    "It never opens the database. Exit status: 1 when the token is missing or refused or the "
                    "daemon cannot be reached (the reason on stderr).")
    mcp.add_argument("--url", help="the daemon's address, http://127.0.0.1:8080 (default: server.listen of the "
                                   "config file)")
    mcp.add_argument("--token-file", metavar="FILE", help="a file holding the API token (mode 0600)")
    mcp.add_argument("-c", "--config", default=DEFAULT_CONFIG, help="read for the address when --url is not given")

    agent = commands.add_parser(
        "agent", help="probe a region's monitors for a daemon and push the results (docs/regions.md)",
        description="Pull this agent's assignment from the daemon at --server, probe its monitors on the "
                    "daemon's grid and push the results; while the daemon cannot be reached, keep probing and "
                    "spool results to a local SQLite file. Settings: flags, then UPSTATD_AGENT_SERVER, "
                    "UPSTATD_AGENT_TOKEN (the token itself), UPSTATD_AGENT_REGION, UPSTATD_AGENT_MAX_IN_FLIGHT, then the "
                    "YAML file (-c). "
                    "Exit status: 1 when it cannot start, 78 when the daemon refuses the token or the token is "
                    "for another region.")
    agent.add_argument("-c", "--config", help="YAML file: server, token_file, region, max_in_flight, "
                                              "spool {path, max_size, max_age}")
    agent.add_argument("--server", metavar="URL", help="the daemon's URL, https://upstatd.example.com")
    agent.add_argument("--token-file", metavar="FILE", help="a file holding the agent token (mode 0600)")
    agent.add_argument("--region", metavar="NAME", help="the region this agent is deployed for (checked)")
    agent.add_argument("--max-in-flight", metavar="N", help="probes running at once, at most (default 1000)")
    agent.add_argument("--spool", metavar="PATH", help="the spool's SQLite file "
                                                       "(default: /var/lib/upstatd-agent/spool.db)")
    agent.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))

    commands.add_parser(
        "schema", help="print the config file's JSON Schema (for editors)",
        description="Print the JSON Schema (draft 2020-12) of the config file, generated from the code that "
                    "validates it: `upstatd schema > /etc/upstatd/config.schema.json`, then point the editor "
                    "at it (docs/configuration.md). `check-config` still checks what JSON Schema cannot say.")

    commands.add_parser(
        "version", help="print the version, and those of Python, SQLite and the libraries in use",
        description="Print upstatd's version on the first line (what --version prints alone), then "
                    "Python's, SQLite's and each dependency's, one 'name version' a line.")

    init = commands.add_parser(
        "init", help="write a starter config and the systemd units for this installation",
        description="Write PREFIX/config.yaml (the example config, its database under STATE; mode 0640), "
                    "make STATE and STATE-backup (mode 0750), and write UNIT_DIR/upstatd.service and the "
                    "nightly backup's UNIT_DIR/upstatd-backup.service (copies into STATE-backup) and "
                    ".timer, with ExecStart= pointing at this installation. Existing files are left alone "
                    "unless --force. Run it as root after `useradd --system ... upstatd` and it also sets "
                    "the owners.")
    init.add_argument("--prefix", default="/etc/upstatd", help="config directory (default: %(default)s)")
    init.add_argument("--state", default="/var/lib/upstatd",
                      help="state directory, for the database (default: %(default)s)")
    init.add_argument("--unit-dir", default="/etc/systemd/system",
                      help="where the units go (default: %(default)s)")
    init.add_argument("--force", action="store_true", help="overwrite an existing config or units")

    backup = commands.add_parser(
        "backup", help="write a consistent copy of the database, the daemon running or not",
        description="Copy the database through SQLite's online backup API (the daemon keeps running and "
                    "writing), into a 0600 temporary file beside FILE, check it with PRAGMA integrity_check, "
                    "then rename it to FILE (replacing a file there only once the copy is good). "
                    "Run it as the daemon's user. Exit status: 0 written, 1 failed.")
    backup.add_argument("file", metavar="FILE",
                        help="the copy to write; an existing directory gets upstatd-<UTC time>.db in it")
    backup.add_argument("-c", "--config", default=DEFAULT_CONFIG)

    restore = commands.add_parser(
        "restore", help="put a backup in place of the database (the daemon stopped)",
        description="Check FILE (PRAGMA integrity_check, a schema version this upstatd knows) and put a copy "
                    "of it in place of the database, keeping the one there as <db>.before-restore-<UTC time>. "
                    "Refused while a daemon runs on the database; a daemon cannot start until it is done. "
                    "Exit status: 0 restored, 1 refused or failed.")
    restore.add_argument("file", metavar="FILE", help="a file written by upstatd backup")
    restore.add_argument("-c", "--config", default=DEFAULT_CONFIG)

    agent_token = commands.add_parser(
        "agent-token", help="print a fresh agent token (upsa_...) for a config's regions: token_file",
        description="Print a new random agent token: put it in the agent's token_file (mode 0600) on the "
                    "daemon's host and in the agent's own configuration. Nothing is written anywhere.")
    agent_token.add_argument("--file", metavar="PATH",
                             help="write it to PATH (created with mode 0600, never overwritten) instead")

    args = parser.parse_args(argv)
    if args.command == "agent-token":
        return cmd_agent_token(args)
    return {"run": cmd_run, "check-config": cmd_check_config, "status": cmd_status,
            "probe": cmd_probe, "token": cmd_token, "notify-test": cmd_notify_test,
            "backup": cmd_backup, "restore": cmd_restore, "mcp": cmd_mcp, "agent": cmd_agent,
            "version": cmd_version, "schema": cmd_schema, "init": cmd_init}[args.command](args)


def _load(path: str, loader=None, prefix: str = ""):
    from upstatd.config.load import ConfigError, load_config
    try:
        return (loader or load_config)(path)
    except ConfigError as exc:
        for message in exc.messages:
            print(prefix + message, file=sys.stderr)
        return None


def cmd_version(args: argparse.Namespace) -> int:
    from upstatd.install import versions

    print(f"upstatd {upstatd.__version__}")  # the first line is --version's, alone
    for name, version in versions()[1:]:
        print(f"{name} {version}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from upstatd.install import Refused, init, next_steps

    try:
        done = init(args.prefix, args.state, args.unit_dir, force=args.force)
    except Refused as exc:
        print(f"upstatd init: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"upstatd init: {exc}", file=sys.stderr)
        return 1
    print(next_steps(done))
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return 1
    monitors, heartbeats = len(config.monitors), len(config.heartbeats)
    print(f"{args.config}: OK, {monitors} monitor{'' if monitors == 1 else 's'}, "
          f"{heartbeats} heartbeat{'' if heartbeats == 1 else 's'}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from upstatd.config.json_schema import config_schema
    print(json.dumps(config_schema(), indent=2))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from upstatd import log
    from upstatd.app import AlreadyRunning, Daemon, StartError
    from upstatd.probes import ProbeSetupError
    from upstatd.store.db import MigrationError

    # No collections while a large config is loaded and started: everything built lives until
    # exit, and each full pass over it would only find nothing to free. Daemon.start freezes
    # what it built and turns collection back on.
    gc.disable()
    log.setup(args.log_level)
    # Errors printed before (or instead of) logging: <3> too, or `journalctl -p err` misses why it never started.
    error = "<3>" if log.to_journal(sys.stderr) else ""
    config = _load(args.config, prefix=error)
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
    except (AlreadyRunning, MigrationError, ProbeSetupError, StartError, OSError) as exc:
        print(f"{error}upstatd: cannot start: {exc}", file=sys.stderr)
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
    from upstatd.store import heartbeats, monitors

    path = _load(args.config, load_storage_path)
    if path is None:
        return 1
    if not os.path.exists(path):
        print(f"upstatd: no database at {path}: has the daemon run with this config?", file=sys.stderr)
        return 1
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = monitors.read_status(conn) + heartbeats.read_status(conn)
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
        return "no monitors or heartbeats"
    lines = [("KEY", "TYPE", "STATE", "SINCE", "UPTIME 24H", "LAST CHECK", "LATENCY", "TARGET", "LAST ERROR")]
    for row in rows:
        error = row["last_error"]
        state = "paused" if row["status"] == "paused" else row["state"]
        if row.get("started"):  # a heartbeat whose job has sent /start and not finished
            state += " (running)"
        lines.append((
            row["key"] or row["name"], row["type"], state, ago(row["since"], now),
            "-" if row.get("uptime_24h") is None else f"{row['uptime_24h']:.2f}%",
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


# -- upstatd backup | restore ------------------------------------------------------

def cmd_backup(args: argparse.Namespace) -> int:
    from upstatd.config.load import load_storage_path
    from upstatd.store.backup import BackupError, backup

    path = _load(args.config, load_storage_path)
    if path is None:
        return 1
    dest = args.file
    if os.path.isdir(dest):
        dest = os.path.join(dest, time.strftime("upstatd-%Y%m%dT%H%M%SZ.db", time.gmtime()))
    try:
        copied = backup(path, dest)
    except BackupError as exc:
        print(f"upstatd: backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {copied.path}: {_size(copied.size)}, schema version {copied.schema_version}, "
          f"integrity_check ok; copied in {copied.seconds:.2f} s ({copied.pages} pages in {copied.steps} "
          f"step{'' if copied.steps == 1 else 's'}), checked in {copied.check_seconds:.2f} s")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from upstatd.config.load import load_storage_path
    from upstatd.store.backup import BackupError, restore
    from upstatd.store.db import newest_version

    path = _load(args.config, load_storage_path)
    if path is None:
        return 1
    try:
        restored = restore(args.file, path, time.time())
    except BackupError as exc:
        print(f"upstatd: restore refused: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.file} to {restored.path}: {_size(restored.size)}, "
          f"schema version {restored.schema_version}, integrity_check ok")
    if restored.kept:
        print(f"the database that was there is kept as {restored.kept}")
    newest = newest_version()
    if restored.schema_version < newest:
        print(f"upstatd migrates it from schema version {restored.schema_version} to {newest} when it starts "
              f"(keeping a copy as {restored.path}.pre-migration-{restored.schema_version:04d}-{newest:04d})")
    print("start the daemon again: systemctl start upstatd")
    return 0


def _size(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size} B"


# -- upstatd notify-test ------------------------------------------------------------

def cmd_notify_test(args: argparse.Namespace) -> int:
    """The channel from the config file (by key) or the database (by id); sent as the API's
    test sends it (alerts/commands.py), then recorded if the database can take it."""
    from upstatd.alerts import commands as alerts
    from upstatd.clock import Clock
    from upstatd.errors import NotFound

    config = _load(args.config)
    if config is None:
        return 2
    try:
        found = alerts.lookup(config, args.channel)
    except NotFound as exc:
        print(f"upstatd: {exc}", file=sys.stderr)
        return 2
    clock = Clock()
    facts, result = asyncio.run(alerts.send_test_alone(found.send, clock, config.server.public_url))
    print(alerts.describe_attempt(found.stored or found.send, result), flush=True)
    if found.stored is None:
        print(f"upstatd: not recorded: the database {config.storage_path} has no such channel yet "
              f"(it gets the file's channels when the daemon starts or reloads)", file=sys.stderr)
    else:
        try:
            alert_id = alerts.record_test_in(config.storage_path, found.stored, facts, result,
                                             round(clock.time() * 1000))
            print(f"recorded as alert {alert_id}")
        except sqlite3.Error as exc:
            print(f"upstatd: sent, but not recorded in {config.storage_path}: {exc}", file=sys.stderr)
    return 0 if result.ok else 1


# -- upstatd mcp --------------------------------------------------------------------

def cmd_mcp(args: argparse.Namespace) -> int:
    from upstatd.mcp import stdio

    url = args.url
    if url is None:
        config = _load(args.config, prefix="upstatd mcp: ")
        if config is None:
            print("upstatd mcp: give --url http://HOST:PORT, or a config file that loads (-c)", file=sys.stderr)
            return 1
        host = config.server.host
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # listening everywhere
        url = f"http://[{host}]:{config.server.port}" if ":" in host else f"http://{host}:{config.server.port}"
    return stdio.main(url, args.token_file)


def cmd_agent(args: argparse.Namespace) -> int:
    from upstatd.agent.process import main as agent_main

    return agent_main(args.config, {"server": args.server, "token_file": args.token_file, "region": args.region,
                                    "spool": args.spool, "max_in_flight": args.max_in_flight}, args.log_level)


# -- upstatd token ------------------------------------------------------------------

def cmd_token(args: argparse.Namespace) -> int:
    """Straight to the database, in one short transaction: SQLite's busy timeout waits
    out the running daemon's writer, and the daemon reads tokens on every request."""
    from upstatd.config.load import load_storage_path
    from upstatd.store.db import MigrationError

    path = _load(args.config, load_storage_path)
    if path is None:
        return 1
    if args.token_command != "create" and not os.path.exists(path):
        print(f"upstatd: no database at {path}: has the daemon run with this config?", file=sys.stderr)
        return 1
    job = {"create": _token_create, "list": _token_list, "revoke": _token_revoke}[args.token_command]
    try:
        return _with_database(path, job, args)
    except (MigrationError, sqlite3.Error, OSError) as exc:
        print(f"upstatd: cannot use the database {path}: {exc}", file=sys.stderr)
        return 1


def _with_database(path: str, job, args: argparse.Namespace) -> int:
    from upstatd.store import db

    if not os.path.exists(path):  # only `create` gets here without one
        print(f"upstatd: no database at {path} yet: creating it (is storage.path, or STATE_DIRECTORY "
              f"when the config leaves it out, the daemon's?)", file=sys.stderr)
    db.prepare_file(path)
    conn = db.connect(path)
    try:
        db.migrate(conn)
        return job(conn, args)
    finally:
        conn.close()


def _token_create(conn, args: argparse.Namespace) -> int:
    import upstatd.app  # noqa: F401  (the API's routes declare the permission resources)
    from upstatd import permissions
    from upstatd.tokens.admin import create_token, in_transaction
    from upstatd.tokens.public import public
    from upstatd.config.check import Invalid, parse_duration

    name = args.name
    if not name.strip() or len(name) > 100:
        print("upstatd: --name must be 1-100 characters", file=sys.stderr)
        return 2
    try:
        granted = permissions.parse(args.permissions)
    except permissions.PermissionSyntaxError as exc:
        print(f"upstatd: --permissions: {exc}", file=sys.stderr)
        return 2
    now_ms = round(time.time() * 1000)
    expires_at_ms = None
    if args.expires is not None:
        try:
            seconds = parse_duration(args.expires)
        except Invalid as exc:
            print(f"upstatd: --expires: {exc}", file=sys.stderr)
            return 2
        if seconds <= 0:
            print("upstatd: --expires must be longer than 0s", file=sys.stderr)
            return 2
        expires_at_ms = now_ms + round(seconds * 1000)
    token, secret = in_transaction(conn, lambda conn: create_token(conn, name, granted, expires_at_ms, now_ms))
    if args.json:
        print(json.dumps({**public(token), "secret": secret}, indent=2))
    else:
        expires = "never expires" if expires_at_ms is None else f"expires {_utc(expires_at_ms)}"
        print(f"Created token {token.id} '{name}' ({permissions.text(granted)}), {expires}.", file=sys.stderr)
        print("Its secret is below. Store it now: it is not stored anywhere and will not be shown again.",
              file=sys.stderr)
        print(secret, flush=True)
    return 0


def _token_list(conn, args: argparse.Namespace) -> int:
    import upstatd.app  # noqa: F401  (the API's routes declare the permission resources)
    from upstatd import permissions
    from upstatd.tokens.public import public
    from upstatd.store import tokens

    rows = tokens.list_all(conn)
    if args.json:
        print(json.dumps([public(token) for token in rows], indent=2))
        return 0
    if not rows:
        print("no tokens")
        return 0
    now_ms = time.time() * 1000
    lines = [("ID", "NAME", "PERMISSIONS", "STATUS", "CREATED", "LAST USED", "EXPIRES")]
    for token in rows:
        state = ("revoked" if token.revoked_at is not None else
                 "expired" if token.expires_at is not None and token.expires_at <= now_ms else "active")
        lines.append((token.id, token.name, permissions.text(token.permissions), state,
                      _utc(token.created_at), _utc(token.last_used_at, "never"),
                      _utc(token.expires_at, "never")))
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    print("\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                    for line in lines))
    return 0


def _token_revoke(conn, args: argparse.Namespace) -> int:
    from upstatd.errors import NotFound
    from upstatd.tokens.admin import in_transaction, revoke_token

    now_ms = round(time.time() * 1000)
    try:
        token, revoked_before = in_transaction(conn, lambda conn: revoke_token(conn, args.id, now_ms))
    except NotFound as exc:
        print(f"upstatd: {exc}", file=sys.stderr)
        return 1
    if revoked_before is not None:
        print(f"{token.id} '{token.name}' was already revoked at {_utc(revoked_before)}")
    else:
        print(f"revoked {token.id} '{token.name}': it stops working now")
    return 0


def _utc(ms: int | None, none: str = "-") -> str:
    if ms is None:
        return none
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ms / 1000))


# -- upstatd agent-token -------------------------------------------------------------

def cmd_agent_token(args: argparse.Namespace) -> int:
    from upstatd.regions.commands import new_secret

    secret = new_secret()
    if args.file is None:
        print(secret)
        return 0
    try:
        fd = os.open(args.file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        print(f"upstatd: cannot create {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    print(f"upstatd: wrote a new agent token to {args.file}", file=sys.stderr)
    return 0
