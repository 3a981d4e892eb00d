"""`upstatd --version`: the installed version alone; `upstatd version`: that line,
then Python's, SQLite's and each dependency's version, one `name version` a line."""

from __future__ import annotations

import sqlite3
import sys
from importlib.metadata import version

from cli import upstatd


async def test_it_prints_its_version():
    code, out, err = await upstatd("--version")
    assert (code, out, err) == (0, f"upstatd {version('upstatd')}\n", "")


async def test_it_prints_what_it_runs_on():
    code, out, err = await upstatd("version")
    assert (code, err) == (0, "")
    first, *rest = out.splitlines()
    assert first == f"upstatd {version('upstatd')}"
    found = dict(line.split(" ", 1) for line in rest)
    assert found["python"].startswith(sys.version.split()[0] + " ")
    assert found["sqlite"] == sqlite3.sqlite_version
    for name in ("aiohttp", "msgspec", "uvloop", "dnspython", "pyyaml", "structlog", "httptools", "cronsim",
                 "apprise", "aiosmtplib", "jinja2"):
        assert found[name] == version(name), name
