"""`upstatd init`: a starter config and the systemd units for this installation
(the daemon's, and the nightly backup's service and timer), and `upstatd
version`'s report of what it runs on.

The wheel carries the shipped units and the example config as package data
(upstatd/data/, symlinks to systemd/upstatd*.{service,timer} and
config.example.yaml at the top of the checkout, which stay the sources of
truth). init copies them, pointing the config's storage at the state
directory, the units' ExecStart= at the interpreter that runs this code, and
the backups at a directory beside the state one.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import sqlite3
import sys
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

DEFAULT_PREFIX = "/etc/upstatd"
DEFAULT_STATE = "/var/lib/upstatd"
DEFAULT_UNIT_DIR = "/etc/systemd/system"
USER = "upstatd"
UNIT_NAME = "upstatd.service"
BACKUP_NAME = "upstatd-backup.service"
TIMER_NAME = "upstatd-backup.timer"
SHIPPED_BACKUPS = "/var/lib/upstatd-backup"  # where the shipped backup unit writes its copies
CONFIG_MODE = 0o640
STATE_MODE = 0o750
UNIT_MODE = 0o644

# What `upstatd version` reports, in this order (distribution names).
DEPENDENCIES = ("aiohttp", "msgspec", "uvloop", "dnspython", "pyyaml", "structlog", "httptools",
                "cronsim", "oncalendar", "apprise", "aiosmtplib", "jinja2")


def packaged(name: str) -> str:
    """The text of a file in upstatd/data/ (the unit or the example config)."""
    return resources.files("upstatd").joinpath("data", name).read_text(encoding="utf-8")


def versions() -> list[tuple[str, str]]:
    """(name, version) of upstatd, Python, SQLite and each dependency; 'not installed' where missing."""
    import upstatd

    rows = [("upstatd", upstatd.__version__),
            ("python", f"{sys.version.split()[0]} ({sys.implementation.name}, {sys.executable})"),
            ("sqlite", sqlite3.sqlite_version)]
    for name in DEPENDENCIES:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return rows


def exec_start_command() -> str:
    """How systemd starts this installation: its console script when it sits beside the
    interpreter (a venv's or pipx's bin/), else the interpreter with -m upstatd."""
    python = Path(sys.executable).absolute()
    script = python.parent / "upstatd"
    if script.is_file() and os.access(script, os.X_OK):
        return str(script)
    return f"{python} -m upstatd"


def starter_config(state: Path) -> str:
    """The example config, its database under STATE."""
    text = packaged("config.example.yaml")
    text, count = re.subn(r"(?m)^(storage:\n  path: )\S+(.*)$",
                          lambda m: f"{m.group(1)}{state / 'upstatd.db'}", text)
    if count != 1:  # the example changed shape: fail loudly rather than write a config into ./var
        raise RuntimeError("config.example.yaml has no 'storage:\\n  path:' block to rewrite")
    head = ("# Written by `upstatd init` from config.example.yaml. Edit it, check it with\n"
            "# `upstatd check-config -c FILE`, apply it with `systemctl reload upstatd`.\n")
    return head + text.split("\n", 1)[1]


def unit_text(command: str, config: Path, state: Path, prefix: Path) -> str:
    """The shipped unit with this installation's ExecStart= and directories."""
    text = packaged(UNIT_NAME)
    exec_start = f"ExecStart={command} run -c {config}"
    text, count = re.subn(r"(?m)^ExecStart=.*$", lambda m: exec_start, text)
    if count != 1:
        raise RuntimeError(f"{UNIT_NAME} has no ExecStart= line to rewrite")
    text = re.sub(r"(?m)^StateDirectory=.*$", lambda m: directory_line("StateDirectory", "/var/lib", state), text)
    text = re.sub(r"(?m)^ConfigurationDirectory=.*$",
                  lambda m: directory_line("ConfigurationDirectory", "/etc", prefix), text)
    return text


def backups_dir(state: Path) -> Path:
    """Where the nightly copies go: beside the state directory (/var/lib/upstatd-backup)."""
    return state.with_name(state.name + "-backup")


def backup_unit_text(command: str, config: Path, state: Path) -> str:
    """The shipped backup service with this installation's ExecStart= and directories."""
    copies = backups_dir(state)
    # first, as COPIES may contain the shipped path (/tmp/x/var/lib/upstatd-backup)
    text = packaged(BACKUP_NAME).replace(SHIPPED_BACKUPS, str(copies))  # the rotation's find, the comments
    text, count = re.subn(r"(?m)^ExecStart=.*$", lambda m: f"ExecStart={command} backup {copies}/ -c {config}", text)
    if count != 1:
        raise RuntimeError(f"{BACKUP_NAME} has no ExecStart= line to rewrite")
    text, count = re.subn(r"(?m)^StateDirectory=.*$",
                          lambda m: directory_line("StateDirectory", "/var/lib", state, copies), text)
    if count != 1:
        raise RuntimeError(f"{BACKUP_NAME} has no StateDirectory= line to rewrite")
    return text


def directory_line(setting: str, base: str, *paths: Path) -> str:
    """StateDirectory=NAME... for directories under /var/lib (systemd makes them and gives them to
    the user); elsewhere, ReadWritePaths= for them (ProtectSystem=strict makes all else read-only)."""
    try:
        relative = [str(path.relative_to(base)) for path in paths]
    except ValueError:
        relative = None
    if relative is not None and "." not in relative:
        return f"{setting}={' '.join(relative)}"
    if setting == "StateDirectory":
        return ("# The state is outside /var/lib, so not a StateDirectory=.\n"
                f"ReadWritePaths={' '.join(str(path) for path in paths)}")
    return "# The config is outside /etc, so not a ConfigurationDirectory=."


@dataclass
class Written:
    config: Path
    state: Path
    unit: Path
    backup_unit: Path
    timer: Path
    backups: Path
    command: str
    owned: bool  # chown done here (root, and the upstatd user exists)


class Refused(Exception):
    """A file init would write is there already (and --force was not given)."""


def init(prefix: str = DEFAULT_PREFIX, state: str = DEFAULT_STATE, unit_dir: str = DEFAULT_UNIT_DIR,
         force: bool = False) -> Written:
    prefix_dir, state_dir, units = (Path(p).absolute() for p in (prefix, state, unit_dir))
    config, unit = prefix_dir / "config.yaml", units / UNIT_NAME
    backup_unit, timer, backups = units / BACKUP_NAME, units / TIMER_NAME, backups_dir(state_dir)
    existing = [str(p) for p in (config, unit, backup_unit, timer) if p.exists()]
    if existing and not force:
        raise Refused(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}: "
                      "left as they are (--force overwrites)")
    command = exec_start_command()
    config_text = starter_config(state_dir)
    unit_body = unit_text(command, config, state_dir, prefix_dir)
    backup_body = backup_unit_text(command, config, state_dir)

    prefix_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    write(config, config_text, CONFIG_MODE)
    state_dir.mkdir(mode=STATE_MODE, parents=True, exist_ok=True)
    os.chmod(state_dir, STATE_MODE)
    # made here too: outside /var/lib it is a ReadWritePaths=, which must exist for the unit to start
    backups.mkdir(mode=STATE_MODE, parents=True, exist_ok=True)
    os.chmod(backups, STATE_MODE)
    units.mkdir(mode=0o755, parents=True, exist_ok=True)
    write(unit, unit_body, UNIT_MODE)
    write(backup_unit, backup_body, UNIT_MODE)
    write(timer, packaged(TIMER_NAME), UNIT_MODE)

    owned = False
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(USER)
            group = grp.getgrnam(USER)
        except KeyError:
            pass
        else:
            os.chown(config, 0, group.gr_gid)
            os.chown(state_dir, user.pw_uid, group.gr_gid)
            os.chown(backups, user.pw_uid, group.gr_gid)
            owned = True
    return Written(config, state_dir, unit, backup_unit, timer, backups, command, owned)


def write(path: Path, text: str, mode: int) -> None:
    """Write TEXT with MODE from the first byte (never readable by others, even for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), mode)  # an existing file keeps its mode otherwise, and umask trims new ones
        file.write(text)


def next_steps(done: Written) -> str:
    command = done.command.split(" -m ")[0] if " -m " in done.command else done.command
    check = f"{done.command} check-config -c {done.config}"
    lines = [f"wrote {done.config} (mode 0640), {done.unit}, {done.backup_unit}, {done.timer}; "
             f"state directory {done.state}, backups in {done.backups} (mode 0750)",
             f"ExecStart={done.command} run -c {done.config}", ""]
    if any(str(Path(command)).startswith(p) for p in ("/home/", "/root/", "/run/user/")):
        lines += [f"warning: {command} is under a home directory, which the unit hides (ProtectHome=yes);",
                  "         install upstatd elsewhere (/opt, /usr/local) before starting the service.", ""]
    lines.append("Next steps (as root):")
    steps = []
    if not done.owned:
        steps += [f"useradd --system --home-dir {done.state} --shell /usr/sbin/nologin {USER}",
                  f"chown root:{USER} {done.config}",
                  f"chown {USER}:{USER} {done.state} {done.backups}"]
    steps += [f"$EDITOR {done.config}    # your monitors, then:",
              check,
              "systemctl daemon-reload",
              f"systemctl enable --now {UNIT_NAME.removesuffix('.service')}",
              f"systemctl status {UNIT_NAME.removesuffix('.service')}",
              f"systemctl enable --now {TIMER_NAME}    # nightly backups into {done.backups}"]
    lines += [f"  {step}" for step in steps]
    return "\n".join(lines)
